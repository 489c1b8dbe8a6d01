"""Devices that travel: pickled, deep-copied, sent to spawned processes and Dask workers,
each rebuilding its own client; every worker's jobs in one job listing."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pennylane as qml
import pytest

from pennylane_ionq_batch.apps.cli import main
from pennylane_ionq_batch.emulator import EmulatorServer

from .workers import circuit, evaluate

POINTS = [(0.1 * k, 0.3 - 0.05 * k) for k in range(8)]


def expected(points: list[tuple[float, float]]) -> list[float]:
    return [float(np.cos(y) * np.cos(x)) for x, y in points]


def test_the_device_and_a_qnode_pickle_and_deep_copy() -> None:
    dev = qml.device("ionq.batch", wires=2, backend="emulator", progress=False)
    qnode = qml.QNode(circuit, dev)
    for copied in (pickle.loads(pickle.dumps(qnode)), copy.deepcopy(qnode)):
        assert copied.device is not dev and copied.device.name == "ionq.batch"
        assert copied(0.4, 0.2) == pytest.approx(qnode(0.4, 0.2), abs=1e-12)
    for copied_dev in (pickle.loads(pickle.dumps(dev)), copy.deepcopy(dev)):
        assert copied_dev.options == dev.options and copied_dev.wires == dev.wires


def test_the_key_travels_only_when_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IONQ_API_KEY", "sk-env-5c1e")
    assert b"sk-env-5c1e" not in pickle.dumps(qml.device("ionq.batch", wires=1))
    assert b"sk-given-9a7b" in pickle.dumps(qml.device("ionq.batch", wires=1,
                                                       api_key="sk-given-9a7b"))


@pytest.fixture
def server() -> EmulatorServer:
    server = EmulatorServer(seed=2).start_in_thread()
    yield server
    server.stop_thread()


def shares(qnode: qml.QNode) -> list[tuple[qml.QNode, list[tuple[float, float]]]]:
    return [(qnode, POINTS[:4]), (qnode, POINTS[4:])]


def test_a_qnode_runs_in_spawned_workers(server: EmulatorServer,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    qnode = qml.QNode(circuit, qml.device("ionq.batch", wires=2, api_url=server.url,
                                          api_key="k", progress=False))
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=spawn) as pool:
        results = list(pool.map(evaluate, *zip(*shares(qnode), strict=True)))
    assert np.allclose([v for r in results for v in r], expected(POINTS), atol=1e-12)
    assert server.log.jobs_created == 2  # one per worker's share
    assert main(["jobs", "--api-url", server.url, "list"]) == 0
    listed = capsys.readouterr().out.splitlines()[1:]
    assert len(listed) == 2 and all("completed" in line for line in listed)


def test_a_qnode_runs_on_a_dask_cluster(server: EmulatorServer) -> None:
    distributed = pytest.importorskip("distributed")
    qnode = qml.QNode(circuit, qml.device("ionq.batch", wires=2, api_url=server.url,
                                          api_key="k", progress=False))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        futures = [client.submit(evaluate, q, points, pure=False)
                   for q, points in shares(qnode)]
        results = client.gather(futures)
    assert np.allclose([v for r in results for v in r], expected(POINTS), atol=1e-12)
    assert server.log.jobs_created == 2
