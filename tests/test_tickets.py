from pathlib import Path

import pytest

from shadoweval.errors import InputError
from shadoweval.tickets import load_tickets, parse_history


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_loads_canonical_columns_and_rejects_bad_rows_with_reasons(data_dir: Path) -> None:
    tickets = load_tickets(data_dir / "tickets.csv")
    assert tickets.total_rows == 34
    assert len(tickets.frame) == 31
    reasons = {r.ticket_id: r.reason for r in tickets.rejected}
    assert reasons == {"T-032": "empty customer_message", "T-033": "empty agent_reply", "T-034": "no category"}
    assert [r.row_number for r in tickets.rejected] == [33, 34, 35]  # spreadsheet rows: header is row 1
    assert {"created_at", "conversation_history"} <= set(tickets.frame.columns)


def test_column_mapping_reads_a_helpdesk_export(tmp_path: Path) -> None:
    path = write(tmp_path / "export.csv", "id,queue,description,public_reply\n1,billing,Where is my invoice?,It is in your account.\n")
    tickets = load_tickets(
        path, {"ticket_id": "id", "category": "queue", "customer_message": "description", "agent_reply": "public_reply"}
    )
    assert tickets.frame.loc[0, "customer_message"] == "Where is my invoice?"
    assert tickets.frame.loc[0, "category"] == "billing"


def test_missing_required_columns_are_named_with_the_columns_found(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "ticket_id,category,question\n1,a,b\n")
    with pytest.raises(InputError) as err:
        load_tickets(path)
    message = str(err.value)
    assert "customer_message, agent_reply" in message
    assert "columns found: ticket_id, category, question" in message
    assert "--columns" in message


def test_mapping_to_an_absent_column_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "ticket_id,category,customer_message,agent_reply\n1,a,b,c\n")
    with pytest.raises(InputError, match="'description', not found"):
        load_tickets(path, {"customer_message": "description"})


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", "is empty"),
        ("ticket_id,category,customer_message,agent_reply\n", "has a header but no rows"),
    ],
)
def test_empty_files_are_explained(tmp_path: Path, content: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        load_tickets(write(tmp_path / "t.csv", content))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_tickets(tmp_path / "nope.csv")


def test_undecodable_text_names_the_encoding_tried(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("ticket_id,category,customer_message,agent_reply\n1,a,Caf\xe9 au lait?,Oui\n".encode("latin-1"))
    with pytest.raises(InputError, match="could not be decoded as utf-8.*--encoding"):
        load_tickets(path)
    assert load_tickets(path, encoding="latin-1").frame.loc[0, "customer_message"] == "Café au lait?"


def test_duplicate_ticket_ids_stop_the_run(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "ticket_id,category,customer_message,agent_reply\n7,a,b,c\n7,a,d,e\n8,a,f,g\n")
    with pytest.raises(InputError, match="1 duplicate ticket_id value.*e.g. 7"):
        load_tickets(path)


def test_malformed_history_rejects_only_that_row(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.csv",
        'ticket_id,category,customer_message,agent_reply,conversation_history\n1,a,b,c,"[{""role"": ""customer"", ""text"": ""hi""}]"\n2,a,b,c,not json\n',
    )
    tickets = load_tickets(path)
    assert list(tickets.frame["ticket_id"]) == ["1"]
    assert "conversation_history" in tickets.rejected[0].reason
    assert parse_history(tickets.frame.loc[0, "conversation_history"]) == [{"role": "customer", "text": "hi"}]
