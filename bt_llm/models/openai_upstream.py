"""A text backend that forwards to any OpenAI-compatible server (vLLM, Ollama, llama.cpp, a hosted API).

``OpenAIUpstream`` posts to ``{base_url}/chat/completions`` with httpx, blocking or streamed
(server-sent events passed through chunk by chunk). Every failure becomes a :class:`MinerError`
whose ``status_code`` and message say what the upstream did: unreachable (503), too slow (504),
answered an error (502 with the upstream's status and message), or answered nonsense (502).

Example:
    >>> import httpx
    >>> def fake(request):
    ...     return httpx.Response(200, json={"choices": [{"message": {"content": "Austin"}}]})
    >>> up = OpenAIUpstream("http://up/v1", "m", transport=httpx.MockTransport(fake))
    >>> up.generate([{"role": "user", "content": "capital of Texas?"}], SamplingParams())
    'Austin'
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from bt_llm import settings
from bt_llm.errors import ConfigError, MinerError
from bt_llm.models.sampling import SamplingParams

if TYPE_CHECKING:
    from bt_llm.neuron.miner import Answer

__all__ = ["OpenAIUpstream", "api_key_from_env"]

KEY_VARIABLES = settings.UPSTREAM_API_KEYS


def api_key_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The upstream key from ``UPSTREAM_API_KEY``, else ``OPENAI_API_KEY``."""
    return next((value for value in (settings.get(name, env) for name in KEY_VARIABLES) if value), None)


_MESSAGE_FIELDS = ("role", "content", "tool_calls", "tool_call_id", "name")
_STRUCTURED = ("response_format", "tool_choice", "parallel_tool_calls", "top_logprobs")


def request_body(model: str, messages: Sequence[Mapping[str, Any]], params: SamplingParams,
                 stream: bool) -> dict[str, Any]:
    """The chat-completions request for ``messages`` (pure; unset options are left out). A message's
    tool calls and tool-call id, and the request's response format, tools and log-probabilities pass
    through as OpenAI's fields."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{k: m[k] for k in _MESSAGE_FIELDS if m.get(k) is not None or k == "content"} for m in messages],
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "stream": stream,
    }
    if params.stop:
        body["stop"] = list(params.stop)
    if params.seed is not None:
        body["seed"] = params.seed
    if params.tools:
        body["tools"] = [dict(t) for t in params.tools]
    if params.logprobs:
        body["logprobs"] = True
    for name in _STRUCTURED:
        value = getattr(params, name)
        if value is not None and (name != "top_logprobs" or params.logprobs):
            body[name] = dict(value) if isinstance(value, Mapping) else value
    return body


def _error_detail(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str):
        return error
    return json.dumps(payload)[:200]


class OpenAIUpstream:
    """An OpenAI-compatible chat-completions endpoint.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000/v1`` (the part before ``/chat/completions``).
        model: the upstream's model name.
        api_key: sent as ``Authorization: Bearer``; None sends none.
        timeout: seconds for connecting and between received bytes.
        transport: an httpx transport (tests pass ``httpx.MockTransport``).
    """

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"--upstream.base_url must be an http(s) URL, got {base_url!r}")
        if not model:
            raise ConfigError("--upstream.model is required")
        self.base_url = base_url.rstrip("/")
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def generate(self, messages: Sequence[Mapping[str, str]], params: SamplingParams) -> str:
        """The upstream's whole answer.

        Raises:
            MinerError: the upstream failed (status 502, 503 or 504; the message says how).
        """
        choice = self._post(messages, params)
        try:
            content = choice["message"]["content"]
        except (KeyError, TypeError) as exc:
            raise MinerError(f"upstream {self.base_url} answered an unreadable completion") from exc
        return content or ""

    def _post(self, messages: Sequence[Mapping[str, Any]], params: SamplingParams) -> dict[str, Any]:
        """The first choice of the upstream's blocking answer."""
        body = request_body(self.model, messages, params, stream=False)
        timeout = self.client.timeout
        if params.deadline is not None:  # no point waiting past the moment the caller gives up
            left = max(params.deadline - time.monotonic(), 0.1)
            timeout = httpx.Timeout(min(left, timeout.read or left), connect=min(left, timeout.connect or left))
        with self._errors():
            response = self.client.post("/chat/completions", json=body, timeout=timeout)
        self._check(response)
        try:
            choice = response.json()["choices"][0]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise MinerError(f"upstream {self.base_url} answered an unreadable completion") from exc
        if not isinstance(choice, dict):
            raise MinerError(f"upstream {self.base_url} answered an unreadable completion")
        return choice

    def answer(self, messages: Sequence[Mapping[str, Any]], params: SamplingParams) -> Answer:
        """The upstream's whole answer with its tool calls and log-probabilities (OpenAI's shapes).

        Raises:
            MinerError: the upstream failed (status 502, 503 or 504; the message says how).
        """
        from bt_llm.neuron.miner import Answer

        choice = self._post(messages, params)
        try:
            message = choice["message"]
            calls = message.get("tool_calls") or None
            logprobs = (choice.get("logprobs") or {}).get("content")
            reason = choice.get("finish_reason") or "stop"
        except (AttributeError, KeyError, TypeError) as exc:
            raise MinerError(f"upstream {self.base_url} answered an unreadable completion") from exc
        return Answer(text=message.get("content") or "", finish_reason=str(reason),
                      tool_calls=list(calls) if isinstance(calls, list) else None,
                      logprobs=list(logprobs) if isinstance(logprobs, list) else None)

    def stream(self, messages: Sequence[Mapping[str, str]], params: SamplingParams) -> Iterator[str]:
        """The upstream's answer as it streams (its ``delta.content`` pieces).

        Raises:
            MinerError: the upstream failed before or during the stream.
        """
        body = request_body(self.model, messages, params, stream=True)
        with self._errors(), self.client.stream("POST", "/chat/completions", json=body) as response:
            if response.status_code >= 400:
                response.read()
                self._check(response)
            for line in response.iter_lines():
                piece = self._sse_piece(line)
                if piece is None:
                    return
                if piece:
                    yield piece

    def _sse_piece(self, line: str) -> str | None:
        """Text in one SSE line; '' for lines without text; None at ``[DONE]``."""
        if not line.startswith("data:"):
            return ""
        data = line[5:].strip()
        if data == "[DONE]":
            return None
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise MinerError(f"upstream {self.base_url} sent an unreadable stream event") from exc
        if isinstance(event, dict) and "error" in event:
            detail = event["error"].get("message") if isinstance(event["error"], dict) else event["error"]
            raise MinerError(f"upstream {self.base_url} failed mid-stream: {detail}")
        try:
            choice = event["choices"][0] if event.get("choices") else {}
            return (choice.get("delta") or {}).get("content") or ""
        except (AttributeError, IndexError, TypeError) as exc:
            raise MinerError(f"upstream {self.base_url} sent an unreadable stream event") from exc

    def _check(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise MinerError(
                f"upstream {self.base_url} answered {response.status_code}: {_error_detail(response)}",
                status_code=502,
            )

    def _errors(self) -> _TranslateErrors:
        return _TranslateErrors(self.base_url)


class _TranslateErrors:
    """Turns httpx transport errors into :class:`MinerError` (503 unreachable, 504 timeout, 502 other)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or not isinstance(exc, httpx.HTTPError):
            return False
        if isinstance(exc, httpx.TimeoutException):
            raise MinerError(f"upstream {self.base_url} timed out", status_code=504) from exc
        if isinstance(exc, httpx.ConnectError):
            raise MinerError(f"upstream {self.base_url} is unreachable: {exc}", status_code=503) from exc
        raise MinerError(f"upstream {self.base_url} failed: {exc}", status_code=502) from exc
