"""T39: hostile XML is refused before anything is expanded, read or fetched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from invoicekit.einvoice import safexml
from invoicekit.einvoice.validation import validate
from invoicekit.errors import ValidationError
from loopback import serving

SAMPLES = Path(__file__).parent / "samples"
SECRET = "s3cr3t-marker-9f1c"


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback; yields its base URL and the paths it was asked for."""
    with serving(b'<!ENTITY leak "fetched">') as running:
        yield running


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _billion_laughs() -> bytes:
    decls = ['<!ENTITY lol0 "lol">']
    decls += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{"".join(decls)}]>\n<lolz>&lol9;</lolz>'
    ).encode()


def _quadratic_blowup() -> bytes:
    big = "A" * 50_000
    return (
        f'<?xml version="1.0"?><!DOCTYPE kaboom [<!ENTITY a "{big}">]>'
        f"<kaboom>{'&a;' * 50_000}</kaboom>"
    ).encode()


def _refused(xml: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        safexml.parse(xml)
    assert SECRET not in str(caught.value)
    assert "fetched" not in str(caught.value)
    return caught.value


def test_billion_laughs_is_refused() -> None:
    error = _refused(_billion_laughs())
    assert "DOCTYPE declarations are not allowed" in str(error)


def test_quadratic_blowup_is_refused() -> None:
    assert "DOCTYPE" in str(_refused(_quadratic_blowup()))


def test_external_entity_to_a_local_file_is_refused_unread(secret_file: Path) -> None:
    for target in (secret_file.as_uri(), "file:///etc/passwd"):
        xml = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "{target}">]><x>&xxe;</x>'.encode()
        error = _refused(xml)
        assert "root:" not in str(error)


def test_external_dtd_is_refused_without_a_request(server: tuple[str, list[str]]) -> None:
    url, seen = server
    _refused(f'<?xml version="1.0"?><!DOCTYPE x SYSTEM "{url}/x.dtd"><x>&leak;</x>'.encode())
    _refused(f'<!DOCTYPE x PUBLIC "-//X//EN" "{url}/p.dtd"><x/>'.encode())
    assert seen == []


def test_parameter_entities_are_refused_without_a_request(
    server: tuple[str, list[str]], secret_file: Path
) -> None:
    url, seen = server
    xml = (
        f'<!DOCTYPE x [<!ENTITY % file SYSTEM "{secret_file.as_uri()}">'
        f'<!ENTITY % remote SYSTEM "{url}/evil.dtd">%remote;%file;]><x/>'
    ).encode()
    _refused(xml)
    assert seen == []


def test_xinclude_is_refused_without_reading(
    server: tuple[str, list[str]], secret_file: Path
) -> None:
    url, seen = server
    for href in (secret_file.as_uri(), f"{url}/inc.xml"):
        xml = (
            '<x xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<xi:include href="{href}" parse="text"/></x>'
        ).encode()
        assert "XInclude" in str(_refused(xml))
    assert seen == []


def test_a_prolog_too_long_to_scan_is_refused(server: tuple[str, list[str]]) -> None:
    url, seen = server
    xml = f'<!--{"c" * 70_000}--><!DOCTYPE x SYSTEM "{url}/late.dtd"><x/>'.encode()
    assert "prolog" in str(_refused(xml))
    assert seen == []


def test_the_hardened_parser_alone_opens_no_external_dtd(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    # Second line of defence, below parse()'s DOCTYPE refusal. A directory as the DTD:
    # opening it to read would fail the parse ("Is a directory"), so success proves
    # the file was never read (lxml's collect_ids=False would read it).
    url, seen = server
    for system_id in (str(tmp_path), f"{url}/x.dtd"):
        xml = f'<!DOCTYPE x SYSTEM "{system_id}"><x/>'.encode()
        root = etree.fromstring(xml, parser=safexml.parser())
        assert root.getroottree().docinfo.externalDTD is None
    assert seen == []


def test_doctype_in_utf16_and_after_comments_and_pis_is_refused() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    _refused(text.encode("utf-16"))
    _refused(b'<?xml version="1.0"?>\n<!-- note --><?pi data?>\n<!DOCTYPE x><x/>')


def test_doctype_text_inside_content_is_not_a_doctype() -> None:
    root = safexml.parse(b"<x><![CDATA[<!DOCTYPE y>]]><y>&lt;!DOCTYPE z&gt;</y></x>")
    assert root.text == "<!DOCTYPE y>"
    assert root[0].text == "<!DOCTYPE z>"


def test_a_plain_invoice_parses_with_any_encoding_declared() -> None:
    raw = (SAMPLES / "ubl-invoice.xml").read_bytes()
    assert safexml.parse(raw).tag.endswith("}Invoice")
    utf16 = raw.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert safexml.parse(utf16).tag.endswith("}Invoice")


def test_size_limit_is_enforced_and_configurable() -> None:
    raw = (SAMPLES / "ubl-invoice.xml").read_bytes()
    with pytest.raises(ValidationError, match="max_bytes"):
        safexml.parse(raw, max_bytes=len(raw) - 1)
    assert safexml.parse(raw, max_bytes=len(raw)) is not None


def test_malformed_xml_names_the_line() -> None:
    with pytest.raises(ValidationError, match=r"line 2: not well-formed XML"):
        safexml.parse(b"<x>\n<y></x>")


def test_text_is_refused_as_a_type_error() -> None:
    with pytest.raises(TypeError, match="bytes"):
        safexml.parse("<x/>")  # type: ignore[arg-type]


def test_validate_refuses_hostile_xml_before_any_rule_runs(
    server: tuple[str, list[str]],
) -> None:
    url, seen = server
    raw = (SAMPLES / "ubl-invoice.xml").read_text()
    hostile = raw.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE Invoice SYSTEM "{url}/x.dtd">',
    )
    with pytest.raises(ValidationError, match="DOCTYPE"):
        validate(hostile.encode())
    with pytest.raises(ValidationError, match="DOCTYPE"):
        validate(_billion_laughs())
    assert seen == []
