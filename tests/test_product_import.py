"""`flask shop import` with `products`: variants upserted by SKU with their stock, bad records skipped."""
import json

from sqlalchemy import func, select

from app.extensions import db
from app.returns.models import ProductVariant
from app.shop.cli import apply_import
from app.shop.products import product_code_for, variants_of
from tests.shop_factory import customer, document, order


def variant(sku, size="M", colour="Navy", stock=12):
    return {"sku": sku, "size": size, "colour": colour, "stock": stock}


def jacket(*variants, code="JKT-0042", name="Steppjacke Hamburg"):
    return {"code": code, "name": name, "variants": list(variants) or [
        variant("NL-JKT-0042-M-NAVY"), variant("NL-JKT-0042-L-NAVY", "L", stock=3),
        variant("NL-JKT-0042-S-NAVY", "S", stock=0)]}


def candle():
    return {"code": "KRZ-4301", "name": "Duftkerze Seeluft", "variants": [{"sku": "NL-KRZ-4301", "stock": 40}]}


def stock_of(sku):
    return db.session.scalar(select(ProductVariant.stock).where(ProductVariant.sku == sku))


def run_import(app, tmp_path, doc):
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return app.test_cli_runner().invoke(args=["shop", "import", str(path)])


def test_products_are_imported_and_a_second_import_changes_nothing(app, tmp_path):
    doc = {**document([customer()], [order()]), "products": [jacket(), candle()]}
    first = run_import(app, tmp_path, doc)
    assert first.exit_code == 0, first.output
    assert ("2 created, 0 updated, 0 unchanged, 0 skipped; products: 2 created, 0 updated, 0 unchanged; "
            "variants: 4 created, 0 updated, 0 unchanged") in first.output
    with app.app_context():
        stored = db.session.scalar(select(ProductVariant).where(ProductVariant.sku == "NL-KRZ-4301"))
        assert (stored.product_code, stored.name, stored.size, stored.colour, stored.stock) == (
            "KRZ-4301", "Duftkerze Seeluft", None, None, 40)
        stamps = dict(db.session.execute(select(ProductVariant.sku, ProductVariant.updated_at)).all())
    second = run_import(app, tmp_path, doc)
    assert ("0 created, 0 updated, 2 unchanged, 0 skipped; products: 0 created, 0 updated, 2 unchanged; "
            "variants: 0 created, 0 updated, 4 unchanged") in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProductVariant)) == 4
        assert dict(db.session.execute(select(ProductVariant.sku, ProductVariant.updated_at)).all()) == stamps


def test_a_stock_only_document_updates_stock_and_name_and_adds_variants(app, tmp_path):
    with app.app_context():
        apply_import({"products": [jacket(), candle()]})
        stamp = db.session.scalar(select(ProductVariant.updated_at).where(ProductVariant.sku == "NL-JKT-0042-S-NAVY"))
    push = {"products": [jacket(variant("NL-JKT-0042-S-NAVY", "S", stock=5), variant("NL-JKT-0042-XL-NAVY", "XL"),
                                variant("NL-JKT-0042-M-NAVY"), name="Steppjacke Hamburg (neu)")]}
    result = run_import(app, tmp_path, push)
    assert result.exit_code == 0, result.output
    assert ("0 created, 0 updated, 0 unchanged, 0 skipped; products: 0 created, 1 updated, 0 unchanged; "
            "variants: 1 created, 2 updated, 0 unchanged") in result.output
    with app.app_context():
        assert stock_of("NL-JKT-0042-S-NAVY") == 5 and stock_of("NL-JKT-0042-XL-NAVY") == 12
        assert stock_of("NL-JKT-0042-L-NAVY") == 3  # not in the push: left as it was
        names = set(db.session.scalars(select(ProductVariant.name).where(ProductVariant.product_code == "JKT-0042")))
        assert names == {"Steppjacke Hamburg (neu)", "Steppjacke Hamburg"}
        updated = db.session.scalar(select(ProductVariant).where(ProductVariant.sku == "NL-JKT-0042-S-NAVY"))
        assert updated.updated_at >= stamp
        assert stock_of("NL-KRZ-4301") == 40


def test_bad_products_are_reported_by_position_and_the_good_ones_land(app, tmp_path):
    with app.app_context():
        apply_import({"products": [{"code": "SNK-2001", "name": "Sneaker Hafenkante",
                                    "variants": [variant("NL-SNK-2001-39-WEISS", "39", "Weiß")]}]})
    bad = [
        {"name": "Ohne Code", "variants": [variant("NL-X-1")]},                                   # 1
        jacket(variant("NL-B-1", stock="12"), code="B-1"),                                        # 2
        jacket(variant("NL-B-2", stock=-1), code="B-2"),                                          # 3
        jacket(variant("NL-B-3", stock=2.5), code="B-3"),                                         # 4
        jacket(variant("NL-JKT-0042-M-NAVY", "S"), code="B-4"),                                   # 5
        jacket(variant("NL-B-5", colour="N" * 41), code="B-5"),                                   # 6
        jacket(variant("NL-B-6"), code="B-6", name="Jacke\x07"),                                  # 7
        jacket(variant("NL-B-7"), variant("NL-B-7", "L"), code="B-7"),                            # 8
        jacket(variant("NL-SNK-2001-39-WEISS"), code="B-8"),                                      # 9
        {"code": "B-9", "name": "Ohne Varianten", "variants": []},                                # 10
        "kein Objekt",                                                                            # 11
        jacket(variant("NL-B-10", stock=True), code="B-10"),                                      # 12
    ]
    result = run_import(app, tmp_path, {"products": [jacket()] + bad + [candle()]})
    assert result.exit_code == 1
    for position, message in [
        (1, "'code' is missing"),
        (2, "variants[0]: 'stock' must be a whole number from 0 to 1000000"),
        (3, "variants[0]: 'stock' must be a whole number from 0 to 1000000"),
        (4, "variants[0]: 'stock' must be a whole number from 0 to 1000000"),
        (5, "SKU NL-JKT-0042-M-NAVY is already listed under product JKT-0042"),
        (6, "variants[0]: 'colour' is too long or contains control characters"),
        (7, "'name' is too long or contains control characters"),
        (8, "'variants' lists a SKU twice"),
        (9, "SKU NL-SNK-2001-39-WEISS belongs to product SNK-2001"),
        (10, "'variants' must not be empty"),
        (11, "must be an object"),
        (12, "variants[0]: 'stock' must be a whole number from 0 to 1000000"),
    ]:
        assert f"SKIPPED products[{position}]: {message}" in result.output
    assert "products: 2 created, 0 updated, 0 unchanged; variants: 4 created, 0 updated, 0 unchanged" in result.output
    assert f"{len(bad)} skipped" in result.output
    with app.app_context():
        codes = set(db.session.scalars(select(ProductVariant.product_code)))
        assert codes == {"JKT-0042", "KRZ-4301", "SNK-2001"}
        assert product_code_for("NL-SNK-2001-39-WEISS") == "SNK-2001"


def test_a_size_and_colour_listed_twice_and_a_products_list_that_is_not_a_list(app):
    with app.app_context():
        report = apply_import({"products": [jacket(variant("NL-A"), variant("NL-B"))]})
        assert report.errors == [("products[0]", "'variants' lists a size and colour twice")]
        report = apply_import({"products": {"code": "JKT-0042"}})
        assert report.errors == [("products", "must be a list")]
        assert db.session.scalar(select(func.count()).select_from(ProductVariant)) == 0


def test_variants_of_and_product_code_for(app):
    with app.app_context():
        apply_import({"products": [jacket(), candle()]})
        db.session.commit()
        assert [(v.sku, v.size, v.colour, v.stock) for v in variants_of("JKT-0042")] == [
            ("NL-JKT-0042-M-NAVY", "M", "Navy", 12), ("NL-JKT-0042-L-NAVY", "L", "Navy", 3),
            ("NL-JKT-0042-S-NAVY", "S", "Navy", 0)]
        assert variants_of("GIBT-ES-NICHT") == []
        assert product_code_for("NL-JKT-0042-L-NAVY") == "JKT-0042"
        assert product_code_for("NL-KRZ-4301") == "KRZ-4301"
        assert product_code_for("NL-UNBEKANNT") is None
