"""429 and 503 answers are retried with bounded, server-guided delays, for every verb."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pytest

from syncd.cluster.transport import RequestCounter, RetryPolicy, with_retries


@dataclass(frozen=True, kw_only=True)
class Answer:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    data: bytes = b""


def _script(*answers: Answer) -> tuple[list[Answer], Callable[[], Answer]]:
    sent: list[Answer] = []
    queue = list(answers)

    def send_once() -> Answer:
        answer = queue.pop(0)
        sent.append(answer)
        return answer

    return sent, send_once


APF_429 = Answer(
    status=429,
    headers={"Retry-After": "2"},
    data=b"Too many requests, please try again later.\n",
)


def test_429_is_retried_after_the_servers_retry_after() -> None:
    sleeps: list[float] = []
    sent, send_once = _script(APF_429, APF_429, Answer(status=200))
    answer = with_retries(send_once, policy=RetryPolicy(), sleep=sleeps.append)
    assert answer.status == 200
    assert len(sent) == 3
    assert sleeps == [2.0, 2.0]


def test_retry_after_is_capped() -> None:
    sleeps: list[float] = []
    slow = Answer(status=429, headers={"Retry-After": "32"})
    _, send_once = _script(slow, Answer(status=201))
    with_retries(send_once, policy=RetryPolicy(max_delay=4.0), sleep=sleeps.append)
    assert sleeps == [4.0]


def test_attempts_are_bounded_and_the_last_answer_is_returned() -> None:
    sleeps: list[float] = []
    sent, send_once = _script(*[APF_429] * 10)
    answer = with_retries(send_once, policy=RetryPolicy(max_attempts=5), sleep=sleeps.append)
    assert answer.status == 429
    assert len(sent) == 5
    assert len(sleeps) == 4


def test_without_a_named_delay_429_backs_off_exponentially() -> None:
    policy = RetryPolicy(base_delay=0.25, max_delay=1.0)
    delays = [policy.retry_delay(n, 429, {}, b"") for n in (1, 2, 3, 4)]
    assert delays == [0.25, 0.5, 1.0, 1.0]


def test_503_is_retried_only_when_it_names_a_delay() -> None:
    policy = RetryPolicy()
    assert policy.retry_delay(1, 503, {}, b"service unavailable") is None
    assert policy.retry_delay(1, 503, {"Retry-After": "1"}, b"") == 1.0
    status = json.dumps({"kind": "Status", "code": 503, "details": {"retryAfterSeconds": 3}})
    assert policy.retry_delay(1, 503, {}, status.encode()) == 3.0


@pytest.mark.parametrize("status", [200, 201, 400, 403, 404, 409, 422, 500])
def test_other_statuses_are_never_retried(status: int) -> None:
    assert RetryPolicy().retry_delay(1, status, {"Retry-After": "1"}, b"") is None


def test_request_counter_counts_per_verb_and_hands_out_read_only_snapshots() -> None:
    counter = RequestCounter()
    counter.add("apply")
    counter.add("apply")
    counter.add("list")
    snapshot = counter.snapshot()
    assert dict(snapshot) == {"apply": 2, "list": 1}
    counter.add("list")
    assert snapshot["list"] == 1
    with pytest.raises(TypeError):
        snapshot["list"] = 5  # type: ignore[index]
