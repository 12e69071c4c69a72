import os


class Settings:
    database_url: str = os.getenv(
        "DATABASE_URL", "postgresql+asyncpg://orders:orders@localhost:5432/orders"
    )
    test_database_url: str = os.getenv(
        "TEST_DATABASE_URL", "postgresql+asyncpg://orders:orders@localhost:5432/orders_test"
    )


settings = Settings()
