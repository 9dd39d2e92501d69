"""Real traffic for eventlab's broker tests, made by a third-party client (kafka-python).

    python kafka_traffic.py BROKER TOPIC GROUP COUNT [--partitions N] [--consume]
        [--rate R] [--process-ms M] [--commit-every K]

Creates TOPIC with N partitions (default 2) unless it exists, produces COUNT events as
chains of three (an OrderPlaced, the PaymentTaken it caused, the OrderShipped that one
caused), each with `event_id`, `correlation_id`, `causation_id` and `type` headers, one
record per request (tansu may skip a batch a fetch starts inside of), keyed by order; then,
with --consume, reads them all in consumer group GROUP and commits after each record (or
each K records). --rate paces the producer at R events a second and consumes meanwhile, on a
thread; --process-ms makes each record take that long to handle (lag builds up).
Prints one JSON line per record produced: {"id", "partition", "offset", "correlation",
"causation"}.
"""

import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError


def option(args, name, default):
    if name in args:
        i = args.index(name)
        value = args[i + 1]
        del args[i : i + 2]
        return type(default)(value)
    return default


def main():
    args = sys.argv[1:]
    partitions = option(args, "--partitions", 2)
    rate = option(args, "--rate", 0.0)
    process_ms = option(args, "--process-ms", 0)
    commit_every = option(args, "--commit-every", 1)
    consume = "--consume" in args
    args = [a for a in args if a != "--consume"]
    broker, topic, group, count = args[0], args[1], args[2], int(args[3])

    admin = KafkaAdminClient(bootstrap_servers=broker, request_timeout_ms=10000)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    admin.close()

    consumer_thread = None
    if consume and rate > 0:
        import threading

        consumer_thread = threading.Thread(target=consume_all, args=(broker, topic, group, count, process_ms, commit_every))
        consumer_thread.start()
    producer = KafkaProducer(bootstrap_servers=broker, linger_ms=0, batch_size=1, acks=1)
    kinds = ["OrderPlaced", "PaymentTaken", "OrderShipped"]
    produced = []
    for n in range(count):
        order = n // 3
        kind = kinds[n % 3]
        event_id = f"order-{order}-{kind}"
        correlation = f"order-{order}-OrderPlaced"
        headers = [
            ("event_id", event_id.encode()),
            ("correlation_id", correlation.encode()),
            ("type", kind.encode()),
        ]
        causation = None
        if n % 3:
            causation = f"order-{order}-{kinds[n % 3 - 1]}"
            headers.append(("causation_id", causation.encode()))
        value = json.dumps({"order": order, "step": kind}).encode()
        meta = producer.send(topic, key=f"order-{order}".encode(), value=value, headers=headers).get(timeout=10)
        producer.flush()
        produced.append({"id": event_id, "partition": meta.partition, "offset": meta.offset,
                         "correlation": correlation, "causation": causation})
        if rate > 0:
            time.sleep(1 / rate)
    producer.close()
    for p in produced:
        print(json.dumps(p), flush=True)

    if consumer_thread is not None:
        consumer_thread.join()
    elif consume:
        consume_all(broker, topic, group, count, process_ms, commit_every)


def consume_all(broker, topic, group, count, process_ms, commit_every):
    consumer = KafkaConsumer(
        bootstrap_servers=broker,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=2000,
    )
    consumer.subscribe([topic])
    seen = 0
    pending = {}
    deadline = time.time() + 60 + count * process_ms / 1000
    while seen < count and time.time() < deadline:
        batch = consumer.poll(timeout_ms=500)
        for tp, records in batch.items():
            for record in records:
                seen += 1
                if process_ms:
                    time.sleep(process_ms / 1000)
                pending[tp] = kafka_offset(record.offset + 1)
                if seen % commit_every == 0 or seen == count:
                    consumer.commit(pending)
                    pending = {}
    consumer.close()
    if seen < count:
        print(f"consumed only {seen} of {count}", file=sys.stderr)
        sys.exit(1)


def kafka_offset(offset):
    from kafka.structs import OffsetAndMetadata

    try:
        return OffsetAndMetadata(offset, None, -1)
    except TypeError:
        return OffsetAndMetadata(offset, None)


if __name__ == "__main__":
    main()
