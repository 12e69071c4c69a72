# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Real-world LD603 near miss (a web framework's own tests): the route is tested through the
# client; a second test calls the handler directly and says it does so only to run the body's
# lines, which a security dependency keeps every request from reaching.
from fastapi import FastAPI, HTTPException, Security
from fastapi.testclient import TestClient

app = FastAPI()


def require_admin() -> None:
    raise HTTPException(status_code=401, detail="admins only")


@app.get("/audit", dependencies=[Security(require_admin)])
def read_audit() -> dict[str, str]:
    return {"status": "ok"}


client = TestClient(app)


def test_audit_needs_admin() -> None:
    assert client.get("/audit").status_code == 401


def test_read_audit_body_for_coverage() -> None:
    assert read_audit() == {"status": "ok"}


def test_read_audit_body() -> None:  # only for coverage: requests never get past the guard
    assert read_audit()["status"] == "ok"
