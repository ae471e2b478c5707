"""``python -m mqsim.demo``: bad input is one ``error: ...`` line and exit status 2, never a traceback."""

from pathlib import Path

from mqsim.demo import main

ROOT = Path(__file__).resolve().parents[2]


def test_kafka_scenario_is_refused_with_one_line(capsys):
    assert main([str(ROOT / "examples" / "kafka.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Kafka" in err and err.count("\n") == 1


def test_missing_file_is_refused_with_one_line(capsys, tmp_path):
    assert main([str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
