import httpx


class AccountsClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def balance(self, account_id: str) -> int:
        response = await self._http.get(f"/accounts/{account_id}/balance")
        response.raise_for_status()
        return response.json()["balance"]
