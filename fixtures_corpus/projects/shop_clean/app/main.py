from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.database import engine
from app.routers import orders


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
app.include_router(orders.router)
