def test_list_is_empty(client):
    assert client.get("/notes").json() == []


def test_list_twice(client):  # error: [LD605]
    assert client.get("/notes").status_code == 200
    assert client.get("/notes").status_code == 200
