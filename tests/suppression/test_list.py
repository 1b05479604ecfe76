"""The list's manager API, its CSV import and export, and its management command."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from notifiedby.exceptions import NotifiedByInvalidArgument
from notifiedby.models import Suppression
from notifiedby.suppression.csvfile import SuppressionImportError, export_csv, import_csv

pytestmark = pytest.mark.usefixtures("db")


def command(*args: str) -> str:
    out = StringIO()
    call_command("notifiedby_suppressions", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_manager_compares_addresses_in_any_case() -> None:
    first = Suppression.objects.suppress(" Ann@Example.COM ", reason="bounced", source="me")
    again = Suppression.objects.suppress("ann@example.com", reason="complained")
    assert first.pk == again.pk
    assert again.reason == "bounced"  # the first entry stays
    assert Suppression.objects.is_suppressed("ANN@example.com")
    assert Suppression.objects.suppressed(["x@example.com", "aNN@example.com"]) == {
        "aNN@example.com"
    }
    assert Suppression.objects.lift("ann@EXAMPLE.com") is True
    assert Suppression.objects.lift("ann@example.com") is False
    assert not Suppression.objects.is_suppressed("ann@example.com")


def test_the_manager_refuses_a_bad_address_or_reason() -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="not a valid email address"):
        Suppression.objects.suppress("not-an-address")
    with pytest.raises(NotifiedByInvalidArgument, match="'spam' is not one of bounced"):
        Suppression.objects.suppress("ann@example.com", reason="spam")
    assert not Suppression.objects.exists()


def test_import_then_export_round_trips() -> None:
    Suppression.objects.suppress("old@example.com")
    text = (
        "address,reason,source,created_at\n"
        "Ann@Example.com,bounced,esp,2026-01-31T09:30:00+00:00\n"
        "bob@example.com,,,\n"
        "OLD@example.com,complained,,\n"
        "ann@example.com,manual,,\n"  # the same address again: the first line wins
    )
    assert import_csv(StringIO(text)) == (2, 1)
    bob = Suppression.objects.get(address="bob@example.com")
    assert (bob.reason, bob.source) == ("manual", "import")
    out = StringIO()
    assert export_csv(Suppression.objects.order_by("address"), out) == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == "address,reason,source,created_at"
    assert lines[1] == "ann@example.com,bounced,esp,2026-01-31T09:30:00+00:00"
    assert [line.split(",")[0] for line in lines[1:]] == [
        "ann@example.com",
        "bob@example.com",
        "old@example.com",
    ]


def test_bad_lines_are_all_named_with_the_fix_and_nothing_is_imported() -> None:
    text = (
        "address,reason,created_at\n"
        "good@example.com,,\n"
        "not-an-address,,\n"
        "b@example.com,spam,\n"
        "c@example.com,,yesterday\n"
    )
    with pytest.raises(SuppressionImportError) as caught:
        import_csv(StringIO(text))
    assert caught.value.problems == [
        "line 3: 'not-an-address' is not an email address: correct it, or delete the line.",
        "line 4: the reason 'spam' is not one of bounced, complained, manual: use one of them, "
        "or leave it empty for manual.",
        "line 5: created_at 'yesterday' is not a date and time: write it as "
        "2026-01-31T09:30:00+00:00, or leave it empty for now.",
    ]
    assert not Suppression.objects.exists()


def test_a_bad_header_is_named() -> None:
    with pytest.raises(SuppressionImportError, match="line 1: the header has email, why"):
        import_csv(StringIO("email,why\nann@example.com,x\n"))


def test_the_command_adds_lists_removes(tmp_path: Path) -> None:
    assert command("add", "Ann@Example.com", "bob@example.com", "--reason", "bounced") == (
        "Suppressed ann@example.com (bounced).\nSuppressed bob@example.com (bounced).\n"
    )
    listed = command("list").splitlines()
    assert sorted(line.split("\t")[:3] for line in listed) == [
        ["ann@example.com", "bounced", "command"],
        ["bob@example.com", "bounced", "command"],
    ]
    assert command("list", "--reason", "manual") == ""
    assert command("remove", "ANN@example.com", "zed@example.com") == (
        "Lifted ANN@example.com.\nNot on the list: zed@example.com.\n"
    )
    assert Suppression.objects.get().address == "bob@example.com"


def test_the_command_imports_and_exports_files(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("address\nann@example.com\nbob@example.com\n", encoding="utf-8")
    assert command("import", str(source)) == "2 address(es) added, 0 already on the list.\n"
    target = tmp_path / "out.csv"
    command("export", str(target))
    assert target.read_text(encoding="utf-8").splitlines()[1].startswith("ann@example.com,manual,")
    assert command("export").splitlines()[2].startswith("bob@example.com,manual,import,")


def test_the_command_reports_bad_input_as_command_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("address\nnope\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2: 'nope' is not an email address"):
        command("import", str(bad))
    with pytest.raises(CommandError, match="not a valid email address"):
        command("add", "nope")
    with pytest.raises(CommandError, match=r"Can't use .*missing\.csv"):
        command("import", str(tmp_path / "missing.csv"))
