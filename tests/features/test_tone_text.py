"""Text preparation for tone: machine text is removed, prose kept, log-only messages get no tone."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from _real_messages import irc_lines, mailing_list_bodies, stackexchange_comments

from undertow.features.tone_text import message_tone_text, tone_text, tone_text_share
from undertow.testing import make_trace

DMESG = """My camera stopped working after the upgrade, any idea what is wrong?
[ 2715.789648] uvcvideo: Failed to query (129) UVC control 1 (unit 2) : -32 (exp. 1).
[ 2715.789700] usb 1-2: new high speed USB device using ehci_hcd and address 3
Thanks in advance"""

LSUSB = """Here is the output you asked for:
Bus 001 Device 003: ID 046d:0990 Logitech, Inc. QuickCam Pro 9000
  Device Descriptor:
    bLength                18
    bDescriptorType         1
    idVendor           0x046d Logitech, Inc.
I hope it helps."""

TRACEBACK = """It crashes right away:
Traceback (most recent call last):
  File "capture.py", line 12, in <module>
    main()
ValueError: bad frame size
What am I doing wrong?"""

CODE = """The bug is in this function:
static int uvc_probe(struct usb_interface *intf)
{
        ret = uvc_parse_control(dev);
        return ret;
}
Could you have a look? See https://example.org/bug/12 for details."""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            DMESG,
            "My camera stopped working after the upgrade, any idea what is wrong?\n"
            "Thanks in advance",
        ),
        (LSUSB, "Here is the output you asked for:\nI hope it helps."),
        (TRACEBACK, "It crashes right away:\nWhat am I doing wrong?"),
        (CODE, "The bug is in this function:\nCould you have a look? See  for details."),
    ],
)
def test_machine_text_removed_prose_kept(text: str, expected: str) -> None:
    assert tone_text(pa.array([text])).to_pylist() == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "[ 12.5] uvcvideo: Failed to query (129) UVC control 1 (unit 2) : -32 (exp. 1).",
        "Bus 001 Device 002: ID 046d:0990 Logitech, Inc.",
        "diff --git a/drivers/media/uvc.c b/drivers/media/uvc.c\n+++ b/x\n@@ -1 +1 @@\n-a\n+b",
        "> is it broken?\n> really?",
        "https://example.org/log.txt",
        "",
        None,
    ],
)
def test_machine_only_message_has_no_tone(text: str | None) -> None:
    assert tone_text(pa.array([text], type=pa.string())).to_pylist() == [None]


def test_short_courtesy_and_non_english_prose_kept() -> None:
    texts = ["Thanks!", "Danke, das ist nicht die Lösung.", "Merci, je ne sais pas."]
    assert tone_text(pa.array(texts)).to_pylist() == texts


def test_message_tone_text_in_trace_order() -> None:
    trace = make_trace(
        [
            {"message_id": "a", "author_id": "x", "text": "[ 1.0] usb 1-1: reset"},
            {"message_id": "b", "author_id": "y", "text": "Works for me, thanks."},
        ]
    )
    assert message_tone_text(trace).to_pylist() == [None, "Works for me, thanks."]


def test_share_counts_removed_characters() -> None:
    share = tone_text_share(pa.array(["> quoted line\nFine.", "[ 1.0] usb 1-1: reset"]))
    assert share["n"] == 2.0
    assert share["no_tone_share"] == 0.5
    total = share["chars_removed_own_words"] + share["chars_removed_tone"] + share["chars_kept"]
    assert total == pytest.approx(1.0)


@pytest.mark.realdata
def test_real_sources_lose_machine_text_not_prose(shared_data: Path) -> None:
    mails = tone_text_share(pa.array(mailing_list_bodies(shared_data, 3000)))
    # The driver list pastes logs and lsusb dumps: most characters are machine text,
    # but nearly every mail keeps some prose.
    assert mails["chars_removed_own_words"] + mails["chars_removed_tone"] > 0.4
    assert mails["no_tone_share"] < 0.05
    comments = tone_text_share(pa.array(stackexchange_comments(shared_data, 3000)))
    assert comments["chars_removed_tone"] < 0.1
    chat = tone_text_share(pa.array(irc_lines(shared_data, 3000)))
    assert chat["chars_kept"] > 0.5


def test_signed_mail_archive_boilerplate_and_tool_output_are_removed() -> None:
    signed = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n\nThe module loads now, thanks.\n"
        "-----BEGIN PGP SIGNATURE-----\nVersion: GnuPG v1.4.6 (GNU/Linux)\n\n"
        "iD8DBQFJIPrOVj38o8sTDc4RAuRDAJ9WPYZrmcHA8CRUAaU4NbNPi0G6TgCfdjJX\n"
        "AkySz+HQH2adnZ036i/I5Sk=\n=XNsh\n-----END PGP SIGNATURE-----"
    )
    archived = (
        "It crashes again.\n-------------- next part --------------\n"
        "An HTML attachment was scrubbed...\nURL: <>"
    )
    # A syslog line whose month was rewritten, a prompt whose "@" became " at ", tool
    # output "label: value" and a Perl error line.
    pasted = (
        "Here is the log:\nx_1f2e  5 15:59:42 linux kernel: usbvideo: Trying format\n"
        "me at box:/tmp> make all\nvid_sleep: 0\nresolution: 1280 x 720\n"
        "File not found: /lib/x/.config at ./scripts/make_kconfig.pl line 32, <IN> line 4."
    )
    assert tone_text(pa.array([signed, archived, pasted])).to_pylist() == [
        "The module loads now, thanks.",
        "It crashes again.",
        "Here is the log:",
    ]


def test_prose_on_one_long_line_is_kept() -> None:
    # An issue written without newlines keeps its prose even if it names a line of code.
    issue = (
        "Version 7.87 on ubuntu. Steps to reproduce: run it and it dies at app.pl line 12, "
        "which is odd because the same code worked last week and nothing else changed, "
        "so I think the new release broke something in the parser."
    )
    assert tone_text(pa.array([issue])).to_pylist() == [issue]
