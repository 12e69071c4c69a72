from fastapi import FastAPI

from todo import storage

app = FastAPI(title="todo")


@app.post("/items")
async def create(title: str) -> dict:
    await storage.add_item(title)
    return {"title": title}


@app.get("/items/count")
async def count() -> dict:
    return {"count": await storage.count_items()}
