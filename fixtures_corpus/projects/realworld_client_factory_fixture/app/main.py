from fastapi import FastAPI


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    async def me() -> dict[str, str]:
        return {"name": "ada"}

    return app
