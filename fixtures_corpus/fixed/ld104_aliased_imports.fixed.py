# The same pitfalls spelled through import aliases: `import pytest_asyncio as pa`,
# `from pytest_asyncio import fixture as async_fixture`, `import asyncio as aio`,
# `from asyncio import run`, `import pytest as pt`.
import asyncio as aio
from asyncio import run

import pytest as pt
import pytest_asyncio as pa
from pytest_asyncio import fixture as async_fixture

from app.jobs import drain, enqueue


@pa.fixture
async def job_id() -> int:
    return await enqueue("resize-image")


@async_fixture(scope="module", loop_scope="module")
async def work_queue() -> aio.Queue:
    queue: aio.Queue = aio.Queue()
    await queue.put("resize-image")
    return queue


@async_fixture
async def worker_name():  # error: [LD202]
    return "worker-1"


def test_job_id_is_positive(job_id):
    assert job_id > 0


@pt.mark.asyncio
async def test_drain_queue(work_queue):  # error: [LD106]
    drained = run(drain(work_queue))  # error: [LD104]
    assert drained == 1


@pt.mark.asyncio(loop_scope="module")
async def test_queue_on_its_loop(work_queue):
    loop = aio.get_event_loop()  # error: [LD103]
    assert loop.is_running()
    assert not work_queue.empty()
