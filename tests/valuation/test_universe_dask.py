"""value_universe on a Dask LocalCluster (loopback only): the same numbers, even after a crash."""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path

import pandas as pd
import pytest

from valuation import value_universe

distributed = pytest.importorskip("distributed")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_universe import synthetic, with_bad_rows  # noqa: E402

PATHS = 300
SEED = 11
#: Captured at import, before the suite's per-test offline guard replaces it.
_GETADDRINFO = socket.getaddrinfo
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """The cluster talks over loopback; any other name still fails as in every test."""

    def loopback_only(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOOPBACK:
            raise socket.gaierror(f"network disabled in tests: getaddrinfo({host!r})")
        return _GETADDRINFO(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0", local_directory=str(tmp_path_factory.mktemp("dask")),
    )  # fmt: skip
    with cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return with_bad_rows(synthetic(120))


@pytest.fixture(scope="module")
def in_process(table) -> pd.DataFrame:
    return value_universe(table, paths=PATHS, seed=SEED, chunk_size=16)


@pytest.mark.parametrize("partition_size", [None, 7])
def test_cluster_gives_the_in_process_numbers(client, table, in_process, partition_size):
    seen = []
    out = value_universe(table, paths=PATHS, seed=SEED, client=client,
                         partition_size=partition_size, progress=seen.append)
    pd.testing.assert_frame_equal(out, in_process, check_exact=True)
    assert sum(seen) == len(table)


def test_shuffled_rows_on_the_cluster(client, table, in_process):
    shuffled = table.sample(frac=1.0, random_state=3)
    out = value_universe(shuffled, paths=PATHS, seed=SEED, client=client, partition_size=13)
    assert list(out.index) == list(shuffled["id"])
    pd.testing.assert_frame_equal(out.loc[in_process.index], in_process, check_exact=True)


def test_a_killed_worker_changes_nothing(client, table, in_process):
    # runs last in this module: the nanny restarts the killed worker for later tests
    pids = client.run(os.getpid)  # {worker address: pid}
    victim_address, victim_pid = sorted(pids.items())[0]
    killed = []

    def kill_after_first_task(done: int) -> None:
        if not killed:
            on_victim = client.processing(workers=[victim_address])[victim_address]
            os.kill(victim_pid, signal.SIGKILL)
            killed.append(len(on_victim))

    out = value_universe(table, paths=PATHS, seed=SEED, client=client, partition_size=4,
                         progress=kill_after_first_task)
    # killed after the first of 30 tasks, with tasks still assigned to it: Dask reran them
    assert len(killed) == 1 and killed[0] > 0
    pd.testing.assert_frame_equal(out, in_process, check_exact=True)
    client.wait_for_workers(2, timeout=30)
    assert victim_address not in client.scheduler_info()["workers"]
