"""Error pages render for signed-in users too, without a second error."""

from tests.conftest import csrf_token


def test_too_large_a_post_gets_a_413_page_not_a_500(app, manager_client):
    token = csrf_token(manager_client, "/partners/new")
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = manager_client.post(
        "/partners/new", data={"csrf_token": token, "description": "x" * (limit + 10)}
    )
    assert response.status_code == 413
    assert "larger than this installation accepts" in response.get_data(as_text=True)


def test_unknown_page_is_a_404_page(manager_client):
    response = manager_client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing here" in response.get_data(as_text=True)
