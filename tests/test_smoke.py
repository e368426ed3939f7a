from duban.campaigns.registry import registry

from .factories import launch


def test_registry_has_loubao(app):
    assert "loubao_loujiu" in registry()


def test_launch_and_login(district, login_as):
    c = launch(district["units"]["湖里区民政局"], district["users"]["admin"])
    assert c.status == "published"
    client = login_as(district["users"]["village"])
    assert client.get("/").status_code == 200
