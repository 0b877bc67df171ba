"""One interface for both wire formats, chosen by name in the config."""

import pytest

from drivers.cardreader import FORMATS, ReaderCore, make_core
from drivers.cardreader.framed import FramedReader
from drivers.cardreader.msr import MsrReader


def test_make_core_builds_each_format():
    assert isinstance(make_core("msr"), MsrReader)
    assert isinstance(make_core("framed"), FramedReader)
    assert FORMATS == ("msr", "framed")


def test_an_unknown_format_names_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown card reader format 'MSR'; allowed: 'msr', 'framed'"):
        make_core("MSR")


@pytest.mark.parametrize("fmt", FORMATS)
def test_both_cores_have_the_same_interface(fmt):
    core: ReaderCore = make_core(fmt)
    for name in ("receive_data", "next_event", "data_to_send", "get_timer", "handle_timer"):
        assert callable(getattr(core, name))
    core.receive_data(b"", 0.0)
    assert core.get_timer() is None and core.data_to_send() == b""
