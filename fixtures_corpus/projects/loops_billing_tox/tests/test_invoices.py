import asyncio

import pytest

from billing.invoices import total_cents


@pytest.mark.asyncio
async def test_total(invoice_lines):
    assert await total_cents(invoice_lines) == 1999


async def test_total_unmarked(invoice_lines):  # error: [LD201]
    assert await total_cents(invoice_lines) == 1999


@pytest.mark.asyncio
async def test_total_via_asyncio_run(invoice_lines):
    assert asyncio.run(total_cents(invoice_lines)) == 1999  # error: [LD104]
