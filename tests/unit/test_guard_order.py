from kzguard.stop.path import natural_key


def test_zones_are_listed_in_natural_order() -> None:
    names = ["kz10", "kz2", "ngz1", "kz1", "kz1b", "db", "kz02"]
    assert sorted(names, key=natural_key) == ["db", "kz1", "kz1b", "kz2", "kz02", "kz10", "ngz1"]
