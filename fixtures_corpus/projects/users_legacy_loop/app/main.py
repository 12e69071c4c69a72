from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from app import crud
from app.database import get_session
from app.emails import send_welcome_email

app = FastAPI()


@app.post("/users", status_code=201)
async def create_user(payload: dict, session: AsyncSession = Depends(get_session)):
    user = await crud.create_user(session, payload["email"])
    await send_welcome_email(user.email)
    return {"id": user.id, "email": user.email}


@app.get("/users/{user_id}")
async def read_user(user_id: int, session: AsyncSession = Depends(get_session)):
    user = await crud.get_user(session, user_id)
    if user is None:
        raise HTTPException(404)
    return {"id": user.id, "email": user.email}
