"""The SDK back end's render process: Helm's Go SDK, run apart from the linter so a render has a
time and memory bound (`compliance.render.bounds`) and a template that loops or allocates without
end costs one killed process and a finding, never the run.

Run as a script (`python worker.py`, importing nothing of the linter, so it starts fast) by
`compliance.render.backends.HelmSdk` with its resource limits already set. Protocol: one JSON request
a line on stdin (`{"chart": dir, "name": release, "namespace": ns, "values": json}`), one JSON answer
a line on stdout (`{"templates": {...}}` or `{"error": message}`). Helm's warnings go to stderr,
which the parent reads per render. End of stdin ends the process.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def serve(requests: Any, answers: Any, cpu_seconds: int) -> None:
    import resource

    import helm_python

    charts: dict[str, Any] = {}
    for line in requests:
        request = json.loads(line)
        # a CPU backstop per render (the parent's wall-time kill normally comes first)
        used = resource.getrusage(resource.RUSAGE_SELF)
        budget = int(used.ru_utime + used.ru_stime) + cpu_seconds
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        resource.setrlimit(resource.RLIMIT_CPU, (budget if hard == resource.RLIM_INFINITY else min(budget, hard), hard))
        answer: dict[str, Any]
        try:
            chart = charts.get(request["chart"])
            if chart is None:
                chart = charts[request["chart"]] = helm_python.Chart.load(request["chart"])
            values = json.loads(request["values"])
            answer = {"templates": chart.render(values, name=request["name"], namespace=request["namespace"])}
        except helm_python.HelmError as failure:
            answer = {"error": str(failure.detail or failure)}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    # answers on a private copy of stdout; anything native code prints goes to stderr instead
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    serve(sys.stdin, answers, int(sys.argv[1]))
