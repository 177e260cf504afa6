"""redis-py (Debian python3-redis 4.3.4) driven by the raftinel client suite.

Run with /usr/bin/python3 (the Debian interpreter that has the package).
Usage: redispy_driver.py basic|writer, configured through the environment:
  RAFTINEL_SENTINELS        host:port,host:port,... (the client's list, in order)
  RAFTINEL_MASTER           master name
  RAFTINEL_SENTINEL_PASSWORD, RAFTINEL_REDIS_PASSWORD   (optional)
  RAFTINEL_KEY_PREFIX       prefix of every key written
  RAFTINEL_PERIOD_MS        writer: one write every this many ms
Every result is one JSON object per line on stdout (see driver_test.go).
The writer runs until its standard input closes.
"""

import json
import os
import sys
import threading
import time

from redis.sentinel import Sentinel

out_lock = threading.Lock()


def emit(**ev):
    ev.setdefault("t", int(time.time() * 1000))
    with out_lock:
        sys.stdout.write(json.dumps(ev) + "\n")
        sys.stdout.flush()


def config():
    addrs = []
    for a in os.environ["RAFTINEL_SENTINELS"].split(","):
        host, port = a.rsplit(":", 1)
        addrs.append((host, int(port)))
    return {
        "addrs": addrs,
        "name": os.environ["RAFTINEL_MASTER"],
        "spass": os.environ.get("RAFTINEL_SENTINEL_PASSWORD") or None,
        "rpass": os.environ.get("RAFTINEL_REDIS_PASSWORD") or None,
        "prefix": os.environ.get("RAFTINEL_KEY_PREFIX", "redispy:"),
        "period": int(os.environ.get("RAFTINEL_PERIOD_MS", "50")) / 1000.0,
    }


def sentinel(cfg):
    # What a careful user writes: timeouts on every socket, the sentinel
    # password for the sentinels and the Redis password for Redis.
    return Sentinel(
        cfg["addrs"],
        sentinel_kwargs={"password": cfg["spass"], "socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        password=cfg["rpass"],
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        decode_responses=True,
    )


def text(b):
    return b.decode() if isinstance(b, bytes) else b


def port_of(client):
    return int(client.config_get("port")["port"])


def basic(cfg):
    emit(ev="start")
    s = sentinel(cfg)
    key = cfg["prefix"] + "basic"
    step = "master"
    try:
        m = s.master_for(cfg["name"])
        m.set(key, "hello")
        value = m.get(key)
        emit(ev="master", port=port_of(m), value=value, role=m.execute_command("ROLE")[0])
        m.wait(2, 2000)
        step = "replica"
        r = s.slave_for(cfg["name"])
        role = r.execute_command("ROLE")
        emit(ev="replica", port=port_of(r), value=r.get(key), role=role[0])
    except Exception as e:  # reported, and the exit code says it failed
        emit(ev="fail", step=step, err="%s: %s" % (type(e).__name__, e))
        sys.exit(1)
    emit(ev="done")


def subscribe(s, cfg, stop):
    # The application's own subscription, through redis-py's pub/sub API on
    # the first sentinel of the list that answers.
    last = None
    for conn in s.sentinels:
        try:
            p = conn.pubsub(ignore_subscribe_messages=True)
            p.subscribe("+switch-master")
            break
        except Exception as e:
            last = e
    else:
        emit(ev="fail", step="subscribe", err=str(last))
        sys.exit(1)

    def loop():
        while not stop.is_set():
            try:
                msg = p.get_message(timeout=0.2)
            except Exception as e:
                emit(ev="suberror", err="%s: %s" % (type(e).__name__, e))
                time.sleep(0.1)
                continue
            if msg and msg["type"] == "message":
                emit(ev="switch", channel=text(msg["channel"]), payload=text(msg["data"]))

    threading.Thread(target=loop, daemon=True).start()


def writer(cfg):
    s = sentinel(cfg)
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    subscribe(s, cfg, stop)
    m = s.master_for(cfg["name"])
    emit(ev="ready")
    i = 0
    while not stop.is_set():
        began = time.monotonic()
        try:
            m.set(cfg["prefix"] + str(i), str(i))
            acked = int(time.time() * 1000)
            emit(ev="write", i=i, port=port_of(m), t=acked)
        except Exception as e:
            emit(ev="error", i=i, err="%s: %s" % (type(e).__name__, e))
        i += 1
        time.sleep(max(0.0, cfg["period"] - (time.monotonic() - began)))
    emit(ev="done")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "basic":
        basic(config())
    elif mode == "writer":
        writer(config())
    else:
        sys.stderr.write("usage: redispy_driver.py basic|writer\n")
        sys.exit(2)
