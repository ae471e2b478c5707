"""`mqsim live` from the shell: the README's command, on the example scenario, against the
module's private broker (--url), in JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mqsim_live_prints_live_beside_simulated(broker):
    out = subprocess.run([sys.executable, "-m", "mqsim", "live", str(ROOT / "examples" / "live_mm3.yaml"),
                          "--duration", "8", "--url", str(broker), "--json"],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    text = json.dumps(data)
    assert "Wq" in text and "live" in text and "sim" in text
    bad = subprocess.run([sys.executable, "-m", "mqsim", "live", str(ROOT / "examples" / "kafka.yaml"), "--url",
                          str(broker)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Kafka" in bad.stderr and "Traceback" not in bad.stderr
