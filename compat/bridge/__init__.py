"""The old import name of ``bt_llm.bridge`` (installed until the next release): it hands out the new modules."""

from bt_llm.old_names import old_name

old_name(__name__)
