import os

DATABASE_URL = os.getenv("DATABASE_URL", "postgresql+asyncpg://inv:inv@localhost:5432/inventory")
