"""Small LangChain chains end to end on the session devnet: prompt template | model | output parser."""

from __future__ import annotations

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

import bt_llm as bt
from tests.devnet_fixture import GOOD_1, GOOD_2, DevnetNetwork
from tests.interop.test_langchain_standard import devnet, devnet_params  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_chat_chain_answers_austin(devnet: DevnetNetwork) -> None:  # noqa: F811
    prompt = ChatPromptTemplate.from_messages([
        ("system", "You answer geography questions in one sentence."),
        ("human", "What is the capital of {state}?"),
    ])
    chain = prompt | bt.ChatBittensor(**devnet_params(devnet)) | StrOutputParser()
    assert chain.invoke({"state": "Texas"}) in (GOOD_1, GOOD_2)
    assert "".join(chain.stream({"state": "Texas"})) in (GOOD_1, GOOD_2)


async def test_text_chain_answers_austin(devnet: DevnetNetwork) -> None:  # noqa: F811
    prompt = PromptTemplate.from_template("Question: What is the capital of {state}?\nAnswer:")
    chain = prompt | bt.BittensorLLM(**devnet_params(devnet)) | StrOutputParser()
    assert chain.invoke({"state": "Texas"}) in (GOOD_1, GOOD_2)
    answers = await chain.abatch([{"state": "Texas"}, {"state": "Texas"}])
    assert len(answers) == 2 and all(a in (GOOD_1, GOOD_2) for a in answers)
