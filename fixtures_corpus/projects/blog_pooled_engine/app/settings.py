import os


class Settings:
    database_url: str = os.getenv(
        "DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )


settings = Settings()
