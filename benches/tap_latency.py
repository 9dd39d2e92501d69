"""How long a record takes from its produce to its row on eventlab's screen, and how many
records a second `eventlab tap` reads. Needs a Kafka-protocol broker (BROKER, e.g. tansu on
127.0.0.1), kafka-python, tmux and a release build:

    python benches/tap_latency.py 127.0.0.1:9092 [--samples 30] [--records 50000]

Latency: `eventlab tap` runs in tmux (140x45, Traffic view); each sample produces one record
with a fresh id (kafka-python, acks=1, one record per request) and polls the screen every
5 ms until the id is on it. Throughput: RECORDS records are produced to a new topic first,
then `eventlab tap --headless --for ... --trace` reads them; the rate is the records over the
time between the first and the last `published` step of its trace, and over the time from the
tap's start (connecting included) to the last one.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "eventlab")


def create(broker, topic, partitions):
    admin = KafkaAdminClient(bootstrap_servers=broker)
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    admin.close()


def screen(session):
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def latency(broker, samples):
    topic = f"latency-{uuid.uuid4().hex[:8]}"
    create(broker, topic, 1)
    session = f"tap-latency-{os.getpid()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "140", "-y", "45",
                    f"{BIN} tap --brokers {broker} --topics {topic} --from latest"], check=True)
    try:
        time.sleep(3)
        subprocess.run(["tmux", "send-keys", "-t", session, "2"], check=True)
        producer = KafkaProducer(bootstrap_servers=broker, linger_ms=0, acks=1)
        found = []
        for n in range(samples):
            event_id = f"lat-{n:03d}-{uuid.uuid4().hex[:6]}"
            start = time.perf_counter()
            producer.send(topic, value=b"{}", headers=[("event_id", event_id.encode())])
            producer.flush()
            while event_id not in screen(session):
                if time.perf_counter() - start > 10:
                    break
                time.sleep(0.005)
            found.append((time.perf_counter() - start) * 1000)
            time.sleep(0.2)
        producer.close()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session])
    found.sort()
    return {"samples": len(found), "median_ms": round(statistics.median(found), 1),
            "p95_ms": round(found[int(len(found) * 0.95) - 1], 1), "max_ms": round(found[-1], 1)}


def throughput(broker, records):
    topic = f"throughput-{uuid.uuid4().hex[:8]}"
    create(broker, topic, 4)
    producer = KafkaProducer(bootstrap_servers=broker, linger_ms=5, acks=1)
    for n in range(records):
        producer.send(topic, key=f"k{n % 100}".encode(), value=json.dumps({"n": n}).encode(),
                      headers=[("event_id", f"t-{n}".encode()), ("correlation_id", f"c-{n // 10}".encode())])
    producer.flush()
    producer.close()
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "tap.jsonl")
        subprocess.run([BIN, "tap", "--brokers", broker, "--topics", topic, "--headless", "--for", "30s",
                        "--trace", trace], check=True, capture_output=True)
        times = []
        with open(trace) as f:
            for line in f:
                if '"kind":"published"' in line:
                    times.append(json.loads(line)["t_us"])
    span = (times[-1] - times[0]) / 1e6 if len(times) > 1 else 0
    whole = times[-1] / 1e6 if times else 0
    return {"records": records, "read": len(times), "first_to_last_s": round(span, 3),
            "records_per_s": round(len(times) / span) if span else None,
            "start_to_last_s": round(whole, 3),
            "records_per_s_from_start": round(len(times) / whole) if whole else None}


def main():
    args = sys.argv[1:]
    broker = args[0]
    samples = int(args[args.index("--samples") + 1]) if "--samples" in args else 30
    records = int(args[args.index("--records") + 1]) if "--records" in args else 50000
    print(json.dumps({"latency": latency(broker, samples)}))
    print(json.dumps({"throughput": throughput(broker, records)}))


if __name__ == "__main__":
    main()
