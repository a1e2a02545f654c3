"""Editing one member of a JSON document in place: parsing with positions, and round trips."""

from __future__ import annotations

import json

import pytest

from rekall.core import json_edit
from rekall.core.errors import ClientConfigError

ENTRY = {"command": "/opt/rekall/bin/rekall", "args": ["mcp"]}

DOCUMENTS = [
    '{"mcpServers": {"a": {"command": "x", "args": []}}}',
    '{"mcpServers":{"a":{"command":"x"}},"z":[1,2.5e3,-0.1,true,false,null,"\\u00e9\\n"]}',
    '{\n  "mcpServers": {\n    "a": {\n      "command": "x"\n    }\n  }\n}\n',
    '{\r\n    "mcpServers": {\r\n        "a": {"command": "x"}\r\n    }\r\n}\r\n',
    '{\n\t"mcpServers": {\n\t\t"a": 1,\n\t\t"b": 2\n\t}\n}',
    '\ufeff{\n  "mcpServers": {\n    "\u00e9t\u00e9": "\u2713"\n  }\n}\n',
    '{\n  "other": true\n}\n',
    '{\n  "mcpServers": {}\n}\n',
    "{}",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_parse_agrees_with_the_json_module(text: str) -> None:
    assert json_edit.plain(json_edit.parse(text)) == json.loads(text.lstrip("\ufeff"))


@pytest.mark.parametrize("text", DOCUMENTS)
def test_upsert_then_remove_gives_back_the_same_bytes(text: str) -> None:
    added = json_edit.upsert(text, "mcpServers", "rekall", ENTRY)
    expected = json.loads(text.lstrip("\ufeff"))
    expected.setdefault("mcpServers", {})["rekall"] = ENTRY
    assert json.loads(added.lstrip("\ufeff")) == expected
    assert json_edit.upsert(added, "mcpServers", "rekall", ENTRY) == added
    removed = json_edit.remove(added, "mcpServers", "rekall")
    if "mcpServers" in json.loads(text.lstrip("\ufeff")):
        assert removed == text
    else:
        assert json.loads(removed) == {**json.loads(text), "mcpServers": {}}
    assert json_edit.remove(removed, "mcpServers", "rekall") == removed


def test_an_insertion_follows_the_file_style() -> None:
    crlf = DOCUMENTS[3]
    added = json_edit.upsert(crlf, "mcpServers", "rekall", ENTRY)
    assert "\n" not in added.replace("\r\n", "")
    assert '\r\n        "rekall": {\r\n            "command"' in added
    one_line = json_edit.upsert(DOCUMENTS[0], "mcpServers", "rekall", ENTRY)
    assert "\n" not in one_line and one_line.endswith(', "rekall": ' + json.dumps(ENTRY) + "}}")
    tabs = json_edit.upsert(DOCUMENTS[4], "mcpServers", "rekall", ENTRY)
    assert '\t\t"b": 2,\n\t\t"rekall": {\n\t\t\t"command": ' in tabs


def test_removing_the_first_or_a_middle_member_keeps_the_others() -> None:
    text = '{\n  "mcpServers": {\n    "rekall": {},\n    "b": 1,\n    "c": 2\n  }\n}'
    assert json_edit.remove(text, "mcpServers", "rekall") == (
        '{\n  "mcpServers": {\n    "b": 1,\n    "c": 2\n  }\n}'
    )
    middle = '{"mcpServers": {"b": 1, "rekall": {}, "c": 2}}'
    assert json_edit.remove(middle, "mcpServers", "rekall") == '{"mcpServers": {"b": 1, "c": 2}}'
    twice = '{"mcpServers": {"rekall": 1, "b": 1, "rekall": 2}}'
    assert json_edit.remove(twice, "mcpServers", "rekall") == '{"mcpServers": {"b": 1}}'


def test_an_existing_entry_is_replaced_only_in_its_own_span() -> None:
    text = '{\n  "mcpServers": {\n    "rekall": {"command": "old"},\n    "b": [1,  2]\n  }\n}'
    updated = json_edit.upsert(text, "mcpServers", "rekall", ENTRY)
    assert updated.endswith(',\n    "b": [1,  2]\n  }\n}')
    assert json_edit.lookup(updated, "mcpServers", "rekall") == ENTRY


def test_an_empty_file_becomes_a_small_document() -> None:
    for blank in ("", "  \n"):
        made = json_edit.upsert(blank, "servers", "rekall", ENTRY)
        assert json.loads(made) == {"servers": {"rekall": ENTRY}} and made.endswith("}\n")
    assert json_edit.remove("", "servers", "rekall") == ""


def test_jsonc_comments_and_trailing_commas_only_when_allowed() -> None:
    text = '// top\n{\n  /* servers */ "s": {\n    "a": 1, // one\n  },\n}\n'
    with pytest.raises(json_edit.JsonSyntaxError, match="line 1, column 1"):
        json_edit.parse(text)
    added = json_edit.upsert(text, "s", "rekall", ENTRY, jsonc=True)
    assert added.startswith('// top\n{\n  /* servers */ "s": {\n    "a": 1, // one\n    "rekall": ')
    assert json_edit.remove(added, "s", "rekall", jsonc=True) == text
    with pytest.raises(json_edit.JsonSyntaxError, match="trailing comma"):
        json_edit.parse('{"a": [1,]}')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": }', "line 1, column 7: unexpected character '}'"),
        ('{"a": 1', "line 1, column 8: expected ',' or '}'"),
        ('{"a": ', "line 1, column 7: unexpected end of the document"),
        ('{"a": 1}\n{"b": 2}', "line 2, column 1: unexpected text after the end"),
        ("{a: 1}", "expected a quoted key"),
        ('{"a" 1}', "expected ':' after a key"),
        ('{"a": "\\x"}', "invalid string escape"),
        ('{"a": "tab\there"}', "unterminated or invalid string"),
        ("{/* x", "expected a quoted key"),
    ],
)
def test_syntax_errors_name_the_place(text: str, message: str) -> None:
    with pytest.raises(json_edit.JsonSyntaxError) as caught:
        json_edit.parse(text)
    assert message in str(caught.value)


def test_an_unclosed_comment_is_an_error_in_jsonc() -> None:
    with pytest.raises(json_edit.JsonSyntaxError, match="unclosed /\\* comment"):
        json_edit.parse("{/* x", jsonc=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "the top level is an array, not an object"),
        ("3", "the top level is a number"),
        ('{"mcpServers": "x"}', "'mcpServers' is a string, not an object"),
        ('{"mcpServers": true}', "'mcpServers' is true, not an object"),
    ],
)
def test_wrong_shapes_are_refused(text: str, message: str) -> None:
    for edit in (
        lambda: json_edit.upsert(text, "mcpServers", "rekall", ENTRY),
        lambda: json_edit.remove(text, "mcpServers", "rekall"),
    ):
        with pytest.raises(ClientConfigError, match=message):
            edit()


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "s": {\n    "a": 1 // one\n  }\n}',
        '{\n  "s": {\n    "a": [\n      1,\n    ],\n  },\n}\n',
        '{\n  "s": { // servers\n  }\n}',
        '{\n  "s": {\n    "a": 1, "b": 2\n  }\n}',
    ],
)
def test_jsonc_round_trips_are_exact(text: str) -> None:
    added = json_edit.upsert(text, "s", "rekall", ENTRY, jsonc=True)
    assert json_edit.lookup(added, "s", "rekall", jsonc=True) == ENTRY
    assert json_edit.remove(added, "s", "rekall", jsonc=True) == text


def test_deep_values_are_decoded_strictly_too() -> None:
    deep = '{"mcpServers": {"a": {"args": [1, NaN]}}}'
    with pytest.raises(json_edit.JsonSyntaxError, match="line 1, column 35"):
        json_edit.parse(deep)
    jsonc = '{"s": {"a": {"b": [1, /* two */ 2,], // three\n}}}'
    assert json_edit.plain(json_edit.parse(jsonc, jsonc=True)) == {"s": {"a": {"b": [1, 2]}}}
