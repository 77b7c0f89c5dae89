"""Practice setup from the command line: staff, locations, clients (add, list, CSV import),
settings. Every refusal is one line, non-zero, and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessions_tui.cli import run

Result = tuple[int, str, str]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SESSIONS_TUI_NOW", "2026-11-25T10:00:00-06:00")
    monkeypatch.setenv("SESSIONS_TUI_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("SESSIONS_TUI_USER", "nobody-here")  # never the OS login
    # Logged in as the practice's first admin, so --user naming others is honoured (issue 15).
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: "ada")
    for name in ("SESSIONS_TUI_TZ", "SESSIONS_TUI_DB"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def sh(env: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    db = str(env / "practice.db")

    def call(*args: str, user: str | None = "ada") -> Result:
        argv = [*args, "--db", db] + (["--user", user] if user else [])
        code = run(argv)
        out, err = capsys.readouterr()
        return code, out, err

    return call


@pytest.fixture
def practice(sh):  # type: ignore[no-untyped-def]
    """Ada (admin), Pat (practitioner), Sam (scheduler only)."""
    assert sh("staff", "add", "ada", "--name", "Ada Admin", "--role", "admin", user=None)[0] == 0
    assert sh("staff", "add", "pat", "--name", "Pat Practitioner", "--role", "practitioner")[0] == 0
    assert sh("staff", "add", "sam", "--name", "Sam Scheduler", "--role", "scheduler")[0] == 0
    return sh


def refused(result: Result, message: str) -> None:
    code, out, err = result
    assert code != 0, out
    assert out == ""
    assert err.startswith("sessions-tui: error: ")
    assert err.count("\n") == 1, err
    assert message in err


def as_json(result: Result) -> list[dict]:  # type: ignore[type-arg]
    assert result[0] == 0, result[2]
    data = json.loads(result[1])
    assert isinstance(data, list)
    return data


# --- staff ----------------------------------------------------------------------------------


def test_first_staff_on_an_empty_database_becomes_admin(sh, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sessions_tui.identity._system_login", lambda: "pat")  # pat adds pat
    code, out, _ = sh(
        "staff", "add", "pat", "--name", "Pat Practitioner", "--role", "practitioner", user=None
    )
    assert code == 0
    assert out.strip() == "Added Pat Practitioner (pat) as admin,practitioner."
    people = as_json(sh("staff", "list", "--format", "json", user="pat"))
    assert [(p["login"], p["roles"]) for p in people] == [("pat", ["admin", "practitioner"])]


def test_staff_add_and_list(practice) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = practice(
        "staff",
        "add",
        "max",
        "--name",
        "Max Both",
        "--role",
        "scheduler,practitioner",
        "--minutes",
        "60",
    )
    assert (code, out.strip()) == (0, "Added Max Both (max) as scheduler,practitioner.")
    people = {p["login"]: p for p in as_json(practice("staff", "list", "--format", "json"))}
    assert people["sam"]["roles"] == ["scheduler"]  # a scheduler who is not a practitioner
    assert people["max"]["roles"] == ["practitioner", "scheduler"]
    assert people["max"]["default_session_minutes"] == 60
    assert people["pat"]["default_session_minutes"] == 50
    assert len({p["color"] for p in people.values()}) == 4  # each gets their own colour
    code, out, _ = practice("staff", "list", user="pat")  # read-only for a practitioner
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4
    assert any(line.split()[0] == "sam" and line.endswith("scheduler") for line in lines)


def test_a_scheduler_only_is_not_a_practitioner(practice) -> None:  # type: ignore[no-untyped-def]
    refused(practice("agenda", "--practitioner", "sam"), "unknown practitioner 'sam'")
    assert practice("agenda", "--practitioner", "pat")[0] == 0


@pytest.mark.parametrize(
    ("args", "user", "message"),
    [
        (
            ["staff", "add", "eve", "--name", "Eve", "--role", "practitioner"],
            "pat",
            "only an admin may add staff",
        ),
        (
            ["staff", "add", "eve", "--name", "Eve", "--role", "practitioner"],
            "sam",
            "only an admin may add staff",
        ),
        (
            ["staff", "add", "eve", "--name", "Eve", "--role", "therapist"],
            "ada",
            "unknown role 'therapist'",
        ),
        (
            ["staff", "add", "pat", "--name", "Pat Again", "--role", "practitioner"],
            "ada",
            "login 'pat' is already taken",
        ),
        (["staff", "add", "bad login", "--name", "X", "--role", "admin"], "ada", "bad login"),
        (
            ["staff", "add", "eve", "--name", "  ", "--role", "admin"],
            "ada",
            "name must not be empty",
        ),
        (["staff", "add", "eve", "--role", "admin"], "ada", "--name"),
        (
            ["staff", "add", "eve", "--name", "Eve", "--role", "admin", "--minutes", "3"],
            "ada",
            "--minutes",
        ),
        # (staff list itself answers anyone, so that the error below can point to it: issue 19)
        (["locations", "list"], "ghost", "`sessions-tui staff list` shows the logins"),
    ],
)
def test_staff_refusals_change_nothing(practice, args: list[str], user: str, message: str) -> None:  # type: ignore[no-untyped-def]
    before = as_json(practice("staff", "list", "--format", "json"))
    refused(practice(*args, user=user), message)
    assert as_json(practice("staff", "list", "--format", "json")) == before


# --- locations ------------------------------------------------------------------------------


def test_locations_add_and_list(practice) -> None:  # type: ignore[no-untyped-def]
    assert (
        practice("locations", "add", "Main St Clinic")[1].strip()
        == "Added location Main St Clinic."
    )
    assert practice("locations", "add", "Telehealth", user="sam")[0] == 0  # schedulers may
    assert practice("locations", "list", user="pat")[1].splitlines() == [
        "Main St Clinic",
        "Telehealth",
    ]
    assert as_json(practice("locations", "list", "--format", "json")) == [
        {"id": 1, "name": "Main St Clinic", "archived": False},
        {"id": 2, "name": "Telehealth", "archived": False},
    ]


@pytest.mark.parametrize(
    ("args", "user", "message"),
    [
        (["locations", "add", "Room 2"], "pat", "only an admin or scheduler may add locations"),
        (["locations", "add", "main st clinic"], "ada", "location 'main st clinic' already exists"),
        (["locations", "add", ""], "ada", "location name must not be empty"),
    ],
)
def test_location_refusals_change_nothing(
    practice, args: list[str], user: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    practice("locations", "add", "Main St Clinic")
    refused(practice(*args, user=user), message)
    assert practice("locations", "list")[1].splitlines() == ["Main St Clinic"]


# --- clients --------------------------------------------------------------------------------


def test_clients_add_and_list(practice) -> None:  # type: ignore[no-untyped-def]
    assert practice("clients", "add", "Ava", "Bennett", "--internal-id", "C-1001")[1].strip() == (
        "Added client Ava Bennett (C-1001)."
    )
    assert practice("clients", "add", "Liam", "Castillo", user="sam")[1].strip() == (
        "Added client Liam Castillo."
    )
    assert practice("clients", "list", user="pat")[1].splitlines() == [
        "C-1001     Bennett, Ava",
        "-          Castillo, Liam",
    ]
    data = as_json(practice("clients", "list", "--format", "json", "--search", "liam"))
    assert [(c["first_name"], c["last_name"], c["internal_id"]) for c in data] == [
        ("Liam", "Castillo", None)
    ]
    assert (
        as_json(practice("clients", "list", "--format", "json", "--search", "C-100"))[0][
            "last_name"
        ]
        == "Bennett"
    )


@pytest.mark.parametrize(
    ("args", "user", "message"),
    [
        (
            ["clients", "add", "Zoe", "Kim", "--internal-id", "C-1001"],
            "ada",
            "internal ID 'C-1001' is already used by another client",
        ),
        (["clients", "add", "Zoe", "Kim"], "pat", "only an admin or scheduler may add clients"),
        (["clients", "add", "Zoe", " "], "ada", "last name must not be empty"),
        (["clients", "add", "Zoe", "Kim", "--internal-id", "C 1"], "ada", "bad internal ID 'C 1'"),
        (["clients", "add", "Zoe"], "ada", "LAST"),
    ],
)
def test_client_refusals_change_nothing(practice, args: list[str], user: str, message: str) -> None:  # type: ignore[no-untyped-def]
    practice("clients", "add", "Ava", "Bennett", "--internal-id", "C-1001")
    refused(practice(*args, user=user), message)
    assert len(as_json(practice("clients", "list", "--format", "json"))) == 1


# --- clients import -------------------------------------------------------------------------


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_a_good_file(practice, env: Path) -> None:  # type: ignore[no-untyped-def]
    f = write(
        env / "clients.csv",
        "first_name,last_name,internal_id\n"
        "Ava,Bennett,C-1001\n"
        "\n"
        '"Mary Ann","O\'Neil, Jr",\n'
        "Noah,Patel,C-1003\n",
    )
    code, out, _ = practice("clients", "import", f, user="sam")
    assert (code, out.strip()) == (0, "Imported 3 clients.")
    data = as_json(practice("clients", "list", "--format", "json"))
    assert [(c["first_name"], c["last_name"], c["internal_id"]) for c in data] == [
        ("Ava", "Bennett", "C-1001"),
        ("Mary Ann", "O'Neil, Jr", None),
        ("Noah", "Patel", "C-1003"),
    ]


def test_import_with_one_bad_row_imports_nothing_and_names_the_line(practice, env: Path) -> None:  # type: ignore[no-untyped-def]
    f = write(
        env / "clients.csv",
        "first_name,last_name,internal_id\n"
        "Ava,Bennett,C-1001\n"
        "Liam,Castillo,C-1002\n"
        "Maya,,C-1003\n"
        "Noah,Patel,C-1004\n",
    )
    refused(practice("clients", "import", f), "line 4: last name must not be empty")
    _, _, err = practice("clients", "import", f)
    assert "nothing imported" in err
    assert "line 2" not in err
    assert "line 5" not in err
    assert as_json(practice("clients", "list", "--format", "json")) == []


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            "first_name,last_name,internal_id\nAva,Bennett,C-1\nLiam,Castillo,C-1\n",
            ["line 3: internal ID 'C-1' repeats line 2"],
        ),
        (
            "first_name,last_name,internal_id\nAva,Bennett,C-9\nLiam,Castillo\nMaya,Nguyen,X,Y\n",
            ["line 3: expected 3 columns, found 2", "line 4: expected 3 columns, found 4"],
        ),
        (
            "first_name,last_name,internal_id\nAva,Bennett,C-0001\n",
            ["line 2: internal ID 'C-0001' is already used by another client"],
        ),
        (
            "name,surname\nAva,Bennett\n",
            ["line 1: header must be first_name,last_name,internal_id"],
        ),
        ("", ["the file is empty"]),
        (
            "first_name,last_name,internal_id\nAva,Ben\x00nett,C-2\n",
            ["line 2: last name contains a control character"],
        ),
        (
            "first_name,last_name,internal_id\nAva,Bennett,C-2\nLiam," + "x" * 200_000 + ",C-3\n",
            ["line 3: not valid CSV"],
        ),
    ],
    ids=["repeated-id", "column-count", "id-in-use", "header", "empty", "nul-byte", "huge-field"],
)
def test_import_refusals(practice, env: Path, text: str, messages: list[str]) -> None:  # type: ignore[no-untyped-def]
    practice("clients", "add", "Old", "Client", "--internal-id", "C-0001")
    f = write(env / "bad.csv", text)
    result = practice("clients", "import", f)
    for message in messages:
        refused(result, message)
    assert len(as_json(practice("clients", "list", "--format", "json"))) == 1


def test_import_missing_file_and_permission(practice, env: Path) -> None:  # type: ignore[no-untyped-def]
    refused(practice("clients", "import", str(env / "nope.csv")), "cannot read")
    f = write(env / "ok.csv", "first_name,last_name,internal_id\nAva,Bennett,\n")
    refused(
        practice("clients", "import", f, user="pat"),
        "only an admin or scheduler may import clients",
    )
    assert as_json(practice("clients", "list", "--format", "json")) == []


# --- settings -------------------------------------------------------------------------------


def test_settings_show_and_set(practice) -> None:  # type: ignore[no-untyped-def]
    assert practice("settings", "show", user="pat")[1].splitlines()[:5] == [
        "name                 My practice",
        "internal-ids         off",
        "double-booking       on",
        "display-tz           (not set)",
        "week-starts-monday   off",
    ]
    assert practice("settings", "set", "name", "Riverside Therapy")[1].strip() == (
        "Set name to Riverside Therapy."
    )
    assert practice("settings", "set", "internal-ids", "on")[0] == 0
    assert practice("settings", "set", "double-booking", "off")[0] == 0
    assert practice("settings", "set", "display-tz", "America/Chicago")[0] == 0
    shown = json.loads(practice("settings", "show", "--format", "json")[1])
    assert {k: v for k, v in shown.items() if "." not in k} == {
        "name": "Riverside Therapy",
        "internal-ids": True,
        "double-booking": False,
        "display-tz": "America/Chicago",
        "week-starts-monday": False,
    }
    assert practice("settings", "set", "display-tz", "none")[0] == 0
    assert json.loads(practice("settings", "show", "--format", "json")[1])["display-tz"] is None


@pytest.mark.parametrize(
    ("args", "user", "message"),
    [
        (
            ["settings", "set", "internal-ids", "on"],
            "pat",
            "only an admin may change practice settings",
        ),
        (
            ["settings", "set", "internal-ids", "on"],
            "sam",
            "only an admin may change practice settings",
        ),
        (["settings", "set", "colour", "blue"], "ada", "unknown setting 'colour'"),
        (["settings", "set", "internal-ids", "maybe"], "ada", "bad value 'maybe' for internal-ids"),
        (["settings", "set", "display-tz", "Mars/Base"], "ada", "unknown time zone 'Mars/Base'"),
        (["settings", "set", "name", " "], "ada", "practice name must not be empty"),
    ],
)
def test_settings_refusals_change_nothing(
    practice, args: list[str], user: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    before = practice("settings", "show", "--format", "json")[1]
    refused(practice(*args, user=user), message)
    assert practice("settings", "show", "--format", "json")[1] == before


def test_settings_need_a_member_of_staff(sh) -> None:  # type: ignore[no-untyped-def]
    # A practice with no staff yet (issue 28: only db upgrade, demo and staff add make a file).
    assert sh("db", "upgrade", user=None)[0] == 0
    refused(sh("settings", "show", user=None), "no staff yet")
