"""Demo programme builder: places, catalogue, grants and months of stock history for `seed-demo`.

Everything is posted through the stock and shipment services (``record_receipt``,
``adjust_stock``, ``reverse_transaction``; consignments planned and received against the plan,
issues dispatched and received as shipments), so the ledger is exact and ``check-ledger``
agrees. The last days leave shipments in every state: draft, dispatched, partly received with
a shortage, received, recalled, cancelled, and a consignment still expected.
Quantities and choices come from ``random.Random(2026)``; dates are counted back from ``today``
so that "expires within 90 days" and "expired" stay true whenever the demo is loaded. Names of
places and goods are data in three languages (English, the North's standard Korean, French),
not interface strings.
"""

# ruff: noqa: E501  (the data tables below read best one row per line)

import heapq
import random
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth import services as auth_services
from hilogistics.auth.models import Role, User
from hilogistics.camps.models import Camp, CampStatus
from hilogistics.catalogue.models import Category, Item, ItemKind, Unit
from hilogistics.dates import business_today
from hilogistics.db import begin_write, db
from hilogistics.distributions.models import FittingService, RecipientType, Side
from hilogistics.distributions.services import (
    LineInput,
    Recipient,
    mark_returned,
    record_distribution,
)
from hilogistics.locations.models import Location, LocationKind, Province
from hilogistics.registry.models import DocumentType
from hilogistics.registry.services import register_document
from hilogistics.requisitions.models import LineDecision, Requisition
from hilogistics.requisitions.services import (
    LineReview,
    RequestLine,
    create_requisition,
    review_requisition,
    submit_requisition,
)
from hilogistics.requisitions.suggestions import fill_suggestions
from hilogistics.shipments.models import Shipment
from hilogistics.shipments.services import (
    DraftLine,
    Header,
    LineReceipt,
    cancel_shipment,
    create_dispatch,
    dispatch_shipment,
    plan_consignment,
    recall_shipment,
    receive_shipment,
)
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Balance,
    Grant,
    ItemBalance,
    Lot,
    Movement,
    StockTransaction,
)
from hilogistics.stock.services import (
    ReceiptLine,
    adjust_stock,
    record_receipt,
    reverse_transaction,
    save_grant,
    set_reorder_level,
)

SEED = 2026
HISTORY_DAYS = 182
# Most goods an issue to a place lists (per place code; others: 10).
MAX_ISSUE_LINES = {"PY-ORC": 24, "HH-WH": 20, "SW-WH": 20, "WS-WH": 14}


@dataclass(frozen=True)
class DemoPlace:
    """A demo location: code, kind, names, province code, supplying warehouse, who it serves."""

    code: str
    kind: LocationKind
    name: str
    name_ko: str
    name_fr: str
    province: str
    supplied_by: str | None = None
    # Which goods it stocks besides renovation supplies: "ortho", "blind", "deaf" or "all".
    serves: str = "all"


# fmt: off
PLACES = [
    DemoPlace("PY-WH", LocationKind.WAREHOUSE, "Central warehouse, Pyongyang", "평양 중앙창고", "Entrepôt central de Pyongyang", "PY"),
    DemoPlace("HH-WH", LocationKind.WAREHOUSE, "Provincial store, Hamhung", "함흥 도창고", "Entrepôt provincial de Hamhung", "SHG", "PY-WH"),
    DemoPlace("SW-WH", LocationKind.WAREHOUSE, "Provincial store, Sariwon", "사리원 도창고", "Entrepôt provincial de Sariwon", "NHW", "PY-WH"),
    DemoPlace("WS-WH", LocationKind.WAREHOUSE, "Provincial store, Wonsan", "원산 도창고", "Entrepôt provincial de Wonsan", "KW", "PY-WH"),
    DemoPlace("PY-ORC", LocationKind.CENTRE, "Pyongyang Orthopaedic Centre", "평양정형외과쎈터", "Centre orthopédique de Pyongyang", "PY", "PY-WH", "ortho"),
    DemoPlace("HH-ORC", LocationKind.CENTRE, "Hamhung Orthopaedic Centre", "함흥정형외과쎈터", "Centre orthopédique de Hamhung", "SHG", "HH-WH", "ortho"),
    DemoPlace("SR-ORC", LocationKind.CENTRE, "Songrim Orthopaedic Clinic", "송림정형외과진료소", "Clinique orthopédique de Songrim", "NHW", "SW-WH", "ortho"),
    DemoPlace("SNJ-ORC", LocationKind.CENTRE, "Sinuiju Orthopaedic Clinic", "신의주정형외과진료소", "Clinique orthopédique de Sinuiju", "NPY", "PY-WH", "ortho"),
    DemoPlace("HJ-ORC", LocationKind.CENTRE, "Haeju Rehabilitation Clinic", "해주회복치료진료소", "Clinique de réadaptation de Haeju", "SHW", "SW-WH", "ortho"),
    DemoPlace("TD-SCB", LocationKind.SCHOOL, "Taedong School for Blind Children", "대동맹학교", "École pour enfants aveugles de Taedong", "SPY", "PY-WH", "blind"),
    DemoPlace("JJ-SCB", LocationKind.SCHOOL, "Jongju School for Blind Children", "정주맹학교", "École pour enfants aveugles de Jongju", "NPY", "PY-WH", "blind"),
    DemoPlace("HH-SCB", LocationKind.SCHOOL, "Hamhung School for Blind Children", "함흥맹학교", "École pour enfants aveugles de Hamhung", "SHG", "HH-WH", "blind"),
    DemoPlace("SC-SCD", LocationKind.SCHOOL, "Songchon School for Deaf Children", "성천농학교", "École pour enfants sourds de Songchon", "SPY", "PY-WH", "deaf"),
    DemoPlace("WS-SCD", LocationKind.SCHOOL, "Wonsan School for Deaf Children", "원산농학교", "École pour enfants sourds de Wonsan", "KW", "WS-WH", "deaf"),
    DemoPlace("HJ-SCD", LocationKind.SCHOOL, "Haeju School for Deaf Children", "해주농학교", "École pour enfants sourds de Haeju", "SHW", "SW-WH", "deaf"),
    DemoPlace("MOB-CAMP", LocationKind.CAMP, "Mobile rehabilitation camp, North Hwanghae", "이동재활야영소 (황해북도)", "Camp mobile de réadaptation, Hwanghae du Nord", "NHW", "SW-WH", "ortho"),
]
# fmt: on


@dataclass(frozen=True)
class DemoItem:
    """A catalogue entry of the demo, with what the history needs to know about it."""

    code: str
    category: str
    unit: str
    pack_size: int
    name: str
    name_ko: str
    name_fr: str
    # Usual quantity of one consignment line, in units of issue.
    typical: int
    # Who uses it: "ortho", "blind", "deaf", "school" (both kinds), "reno" (every place), "all".
    serves: str
    shelf_days: int | None = None  # set: tracks expiry, lots expire this long after making
    serial: bool = False  # equipment followed by serial number
    family: str | None = None


def _sach_feet() -> list[DemoItem]:
    feet = []
    for size in range(22, 29):
        for side, en, ko, fr in (
            ("L", "left", "왼쪽", "gauche"),
            ("R", "right", "오른쪽", "droit"),
        ):
            feet.append(
                DemoItem(
                    f"ORT-FOOT-SACH-{size}{side}",
                    "ORTHO-PROS",
                    "piece",
                    10,
                    f"SACH foot {size} cm, {en}",
                    f"SACH 의족 {size}cm, {ko}",
                    f"Pied SACH {size} cm, {fr}",
                    12 if 24 <= size <= 26 else 6,
                    "ortho",
                    family="SACH-FOOT",
                )
            )
    return feet


# fmt: off
CATALOGUE: list[DemoItem] = [
    *_sach_feet(),
    DemoItem("ORT-KNEE-SA", "ORTHO-PROS", "piece", 5, "Single-axis knee joint with lock", "단축 무릎관절 (잠금식)", "Genou monoaxial à verrou", 10, "ortho"),
    DemoItem("ORT-KNEE-PC", "ORTHO-PROS", "piece", 5, "Polycentric knee joint", "다축 무릎관절", "Genou polycentrique", 6, "ortho"),
    DemoItem("ORT-PYL-30", "ORTHO-PROS", "piece", 20, "Aluminium pylon 30 mm", "알루미니움 의족기둥 30mm", "Tube aluminium 30 mm", 20, "ortho"),
    DemoItem("ORT-ADP-TUBE", "ORTHO-PROS", "piece", 20, "Tube clamp adaptor", "관 조임 련결구", "Adaptateur de serrage de tube", 30, "ortho"),
    DemoItem("ORT-ADP-PYR", "ORTHO-PROS", "piece", 20, "Pyramid adaptor", "피라미드 련결구", "Adaptateur pyramidal", 30, "ortho"),
    DemoItem("ORT-ADP-SOCK", "ORTHO-PROS", "piece", 20, "Socket adaptor", "소케트 련결구", "Adaptateur d'emboîture", 25, "ortho"),
    DemoItem("ORT-SOCKS", "ORTHO-PROS", "box", 10, "Stump socks, wool (box of 10)", "절단부 양말 (털실, 10개들이)", "Manchons de moignon en laine (boîte de 10)", 20, "ortho"),
    DemoItem("ORT-COVER-BK", "ORTHO-PROS", "piece", 10, "Cosmetic foam cover, below knee", "무릎아래 의족 미용덮개 (스폰지)", "Revêtement esthétique en mousse, tibial", 15, "ortho"),
    DemoItem("ORT-OJ-KNEE", "ORTHO-ORTH", "pair", 5, "Orthotic knee joint, drop lock", "보조기 무릎관절 (고리잠금식)", "Articulation de genou d'orthèse à verrou", 15, "ortho"),
    DemoItem("ORT-OJ-ANKLE", "ORTHO-ORTH", "pair", 10, "Orthotic ankle joint, free motion", "보조기 발목관절 (자유운동식)", "Articulation de cheville d'orthèse libre", 15, "ortho"),
    DemoItem("ORT-VELC-50", "ORTHO-ORTH", "roll", 5, "Hook-and-loop tape 50 mm (25 m roll)", "붙임띠 50mm (25m 두루마리)", "Bande auto-agrippante 50 mm (rouleau 25 m)", 10, "ortho"),
    DemoItem("ORT-VELC-25", "ORTHO-ORTH", "roll", 5, "Hook-and-loop tape 25 mm (25 m roll)", "붙임띠 25mm (25m 두루마리)", "Bande auto-agrippante 25 mm (rouleau 25 m)", 10, "ortho"),
    DemoItem("ORT-BAR-AL", "ORTHO-ORTH", "piece", 20, "Aluminium orthotic side bar 20×5 mm", "알루미니움 보조기 막대 20×5mm", "Montant d'orthèse aluminium 20×5 mm", 40, "ortho"),
    DemoItem("ORT-RIVET-4", "ORTHO-ORTH", "box", 10, "Copper rivets 4 mm (box of 500)", "동 리베트 4mm (500개들이)", "Rivets cuivre 4 mm (boîte de 500)", 5, "ortho"),
    DemoItem("ORT-BUCKLE", "ORTHO-ORTH", "box", 10, "D-rings and buckles (box of 100)", "D형 고리와 띠고리 (100개들이)", "Anneaux en D et boucles (boîte de 100)", 5, "ortho"),
    DemoItem("MOB-CRUT-AX-AD", "ORTHO-ORTH", "pair", 10, "Axillary crutches, adult", "겨드랑이 목발 (어른용)", "Béquilles axillaires, adulte", 40, "ortho"),
    DemoItem("MOB-CRUT-AX-CH", "ORTHO-ORTH", "pair", 10, "Axillary crutches, child", "겨드랑이 목발 (어린이용)", "Béquilles axillaires, enfant", 25, "ortho"),
    DemoItem("MOB-CRUT-EL", "ORTHO-ORTH", "pair", 10, "Elbow crutches", "팔굽 목발", "Cannes anglaises", 30, "ortho"),
    DemoItem("MOB-FRAME", "ORTHO-ORTH", "piece", 4, "Walking frame, folding", "접이식 보행보조틀", "Déambulateur pliant", 10, "ortho"),
    DemoItem("MAT-PP-3", "ORTHO-MAT", "sheet", 10, "Polypropylene sheet 3 mm, 1×2 m", "폴리프로필렌판 3mm (1×2m)", "Plaque de polypropylène 3 mm, 1×2 m", 30, "ortho"),
    DemoItem("MAT-PP-5", "ORTHO-MAT", "sheet", 10, "Polypropylene sheet 5 mm, 1×2 m", "폴리프로필렌판 5mm (1×2m)", "Plaque de polypropylène 5 mm, 1×2 m", 30, "ortho"),
    DemoItem("MAT-PPC-4", "ORTHO-MAT", "sheet", 10, "Copolymer polypropylene sheet 4 mm", "공중합 폴리프로필렌판 4mm", "Plaque de copolymère 4 mm", 20, "ortho"),
    DemoItem("MAT-PE-5", "ORTHO-MAT", "sheet", 10, "Polyethylene foam sheet 5 mm", "폴리에틸렌 스폰지판 5mm", "Plaque de mousse polyéthylène 5 mm", 20, "ortho"),
    DemoItem("MAT-EVA-10", "ORTHO-MAT", "sheet", 10, "EVA sheet 10 mm", "EVA 고무판 10mm", "Plaque d'EVA 10 mm", 15, "ortho"),
    DemoItem("MAT-POP-10", "ORTHO-MAT", "box", 6, "Plaster of Paris bandage 10 cm (box of 12)", "석고붕대 10cm (12개들이)", "Bande plâtrée 10 cm (boîte de 12)", 80, "ortho", shelf_days=1095),
    DemoItem("MAT-POP-15", "ORTHO-MAT", "box", 6, "Plaster of Paris bandage 15 cm (box of 12)", "석고붕대 15cm (12개들이)", "Bande plâtrée 15 cm (boîte de 12)", 60, "ortho", shelf_days=1095),
    DemoItem("MAT-POP-PWD", "ORTHO-MAT", "bag", 1, "Plaster of Paris powder, 25 kg bag", "석고가루 25kg", "Plâtre de Paris en poudre, sac de 25 kg", 20, "ortho", shelf_days=730),
    DemoItem("MAT-RESIN", "ORTHO-MAT", "can", 6, "Acrylic lamination resin, 1 kg", "적층용 아크릴수지 1kg", "Résine acrylique de stratification, 1 kg", 30, "ortho", shelf_days=365),
    DemoItem("MAT-HARD", "ORTHO-MAT", "bottle", 12, "Hardener powder, 100 g", "경화제 가루 100g", "Durcisseur en poudre, 100 g", 20, "ortho", shelf_days=365),
    DemoItem("MAT-GLUE", "ORTHO-MAT", "can", 12, "Contact adhesive, 1 litre", "접촉식 접착제 1L", "Colle contact, 1 litre", 24, "ortho", shelf_days=540),
    DemoItem("MAT-STOCK-C10", "ORTHO-MAT", "roll", 10, "Cotton stockinette 10 cm (25 m roll)", "무명 관붕대 10cm (25m 두루마리)", "Jersey tubulaire coton 10 cm (rouleau 25 m)", 20, "ortho"),
    DemoItem("MAT-STOCK-PL", "ORTHO-MAT", "roll", 10, "Perlon stockinette (25 m roll)", "나이론 관붕대 (25m 두루마리)", "Jersey tubulaire perlon (rouleau 25 m)", 12, "ortho"),
    DemoItem("MAT-LEATHER", "ORTHO-MAT", "sheet", 5, "Strap leather, half hide", "띠가죽 (반장)", "Cuir à courroies, demi-peau", 10, "ortho"),
    DemoItem("MAT-ABRAS", "ORTHO-MAT", "roll", 5, "Abrasive cloth, grit 80 (50 m roll)", "연마포 80번 (50m 두루마리)", "Toile abrasive grain 80 (rouleau 50 m)", 10, "ortho"),
    DemoItem("EDU-BRL-PAPER", "EDU-BRL", "ream", 5, "Braille paper A4, 160 g", "점자종이 A4 (160g)", "Papier braille A4, 160 g", 100, "blind"),
    DemoItem("EDU-BRL-SLATE4", "EDU-BRL", "set", 20, "Braille slate, 4 lines, with stylus", "점자판과 점필 (4행)", "Tablette braille 4 lignes avec poinçon", 60, "blind"),
    DemoItem("EDU-BRL-SLATEP", "EDU-BRL", "set", 20, "Pocket braille slate with stylus", "휴대용 점자판과 점필", "Tablette braille de poche avec poinçon", 40, "blind"),
    DemoItem("EDU-BRL-CANE120", "EDU-BRL", "piece", 20, "Folding white cane, 120 cm", "접이식 흰지팡이 120cm", "Canne blanche pliante, 120 cm", 80, "blind"),
    DemoItem("EDU-BRL-CANE110", "EDU-BRL", "piece", 20, "Folding white cane, 110 cm (child)", "접이식 흰지팡이 110cm (어린이용)", "Canne blanche pliante, 110 cm (enfant)", 40, "blind"),
    DemoItem("EDU-BRL-CARDS", "EDU-BRL", "set", 10, "Braille alphabet learning cards", "점자 자모 학습카드", "Cartes d'apprentissage de l'alphabet braille", 30, "blind"),
    DemoItem("EDU-BRL-FILM", "EDU-BRL", "sheet", 100, "Tactile drawing film", "양각그림용 필림", "Film pour dessin en relief", 200, "blind"),
    DemoItem("EDU-BRL-MAGN4", "EDU-BRL", "piece", 10, "Hand magnifier 4×", "손확대경 4배", "Loupe à main 4×", 40, "blind"),
    DemoItem("EDU-BRL-ABACUS", "EDU-BRL", "piece", 10, "Abacus for blind learners", "맹인용 수판", "Boulier pour élèves aveugles", 40, "blind"),
    DemoItem("EDU-BRL-PERKINS", "EDU-BRL", "piece", 1, "Perkins braille writer", "퍼킨스 점자타자기", "Machine à écrire braille Perkins", 3, "blind", serial=True),
    DemoItem("EDU-HA-BAT675", "EDU-HEAR", "box", 10, "Hearing-aid batteries, size 675 (box of 60)", "보청기 전지 675형 (60개들이)", "Piles pour appareil auditif 675 (boîte de 60)", 100, "deaf", shelf_days=1095),
    DemoItem("EDU-HA-BAT13", "EDU-HEAR", "box", 10, "Hearing-aid batteries, size 13 (box of 60)", "보청기 전지 13형 (60개들이)", "Piles pour appareil auditif 13 (boîte de 60)", 80, "deaf", shelf_days=1095),
    DemoItem("EDU-HA-BAT312", "EDU-HEAR", "box", 10, "Hearing-aid batteries, size 312 (box of 60)", "보청기 전지 312형 (60개들이)", "Piles pour appareil auditif 312 (boîte de 60)", 60, "deaf", shelf_days=1095),
    DemoItem("EDU-HA-BTE", "EDU-HEAR", "piece", 10, "Behind-the-ear hearing aid, child", "귀걸이형 보청기 (어린이용)", "Contour d'oreille, enfant", 40, "deaf"),
    DemoItem("EDU-HA-MOULD", "EDU-HEAR", "set", 5, "Ear-mould impression kit", "귀본 채취재료 일식", "Kit de prise d'empreinte d'embout", 20, "deaf", shelf_days=540),
    DemoItem("EDU-HA-CLEAN", "EDU-HEAR", "set", 10, "Hearing-aid cleaning kit", "보청기 손질도구", "Kit d'entretien d'appareil auditif", 30, "deaf"),
    DemoItem("EDU-HA-DRY", "EDU-HEAR", "box", 10, "Hearing-aid drying capsules (box of 12)", "보청기 건조제 (12개들이)", "Capsules déshydratantes (boîte de 12)", 40, "deaf", shelf_days=730),
    DemoItem("EDU-BK-EXER", "EDU-BOOK", "box", 5, "Exercise books (box of 100)", "학습장 (100권들이)", "Cahiers (carton de 100)", 30, "school"),
    DemoItem("EDU-BK-PENC", "EDU-BOOK", "box", 20, "Pencils HB (box of 12)", "연필 HB (12자루들이)", "Crayons HB (boîte de 12)", 40, "school"),
    DemoItem("EDU-BK-COLP", "EDU-BOOK", "box", 20, "Coloured pencils, 12 colours", "색연필 (12색)", "Crayons de couleur, 12 couleurs", 40, "school"),
    DemoItem("EDU-BK-SIGN", "EDU-BOOK", "piece", 20, "Korean sign language dictionary", "조선손말사전", "Dictionnaire de langue des signes coréenne", 60, "deaf"),
    DemoItem("EDU-BK-BRLTX1", "EDU-BOOK", "piece", 10, "Braille textbook, Korean language, grade 1", "점자교과서 국어 1학년", "Manuel braille, langue coréenne, 1re année", 50, "blind"),
    DemoItem("EDU-BK-CARDS", "EDU-BOOK", "set", 10, "Picture cards for speech training", "말소리훈련 그림카드", "Cartes illustrées pour l'orthophonie", 30, "deaf"),
    DemoItem("EDU-BK-LARGE", "EDU-BOOK", "piece", 20, "Large-print story books", "큰글자 동화책", "Livres de contes en gros caractères", 80, "blind"),
    DemoItem("REN-CEM-50", "RENO", "bag", 1, "Portland cement, 50 kg bag", "세멘트 50kg", "Ciment Portland, sac de 50 kg", 300, "reno"),
    DemoItem("REN-PNT-WH20", "RENO", "can", 1, "White emulsion paint, 20 litres", "흰색 수성칠감 20L", "Peinture acrylique blanche, 20 litres", 60, "reno"),
    DemoItem("REN-PNT-EN4", "RENO", "can", 4, "Enamel paint, blue, 4 litres", "청색 에나멜칠감 4L", "Peinture laquée bleue, 4 litres", 40, "reno"),
    DemoItem("REN-PUTTY", "RENO", "bag", 1, "Wall putty, 20 kg bag", "벽 퍼티 20kg", "Enduit de lissage, sac de 20 kg", 50, "reno"),
    DemoItem("REN-TILE-ADH", "RENO", "bag", 1, "Tile adhesive, 25 kg bag", "타일 접착제 25kg", "Colle à carrelage, sac de 25 kg", 60, "reno", shelf_days=365),
    DemoItem("REN-TILE-FL", "RENO", "box", 1, "Anti-slip floor tiles (1 m² box)", "미끄럼방지 바닥타일 (1m² 상자)", "Carreaux de sol antidérapants (boîte d'1 m²)", 120, "reno"),
    DemoItem("REN-PLY-12", "RENO", "sheet", 1, "Plywood 12 mm, 1.22×2.44 m", "합판 12mm (1.22×2.44m)", "Contreplaqué 12 mm, 1,22×2,44 m", 80, "reno"),
    DemoItem("REN-SCREW", "RENO", "box", 10, "Wood screws 4×40 mm (box of 200)", "나사못 4×40mm (200개들이)", "Vis à bois 4×40 mm (boîte de 200)", 20, "reno"),
    DemoItem("REN-PIPE-32", "RENO", "metre", 6, "Steel pipe 32 mm for handrails", "란간용 강관 32mm", "Tube acier 32 mm pour main courante", 200, "reno"),
    DemoItem("REN-BRUSH", "RENO", "piece", 12, "Paint brush 75 mm", "칠솔 75mm", "Pinceau 75 mm", 60, "reno"),
    DemoItem("REN-TOOLS", "RENO", "set", 1, "Hand tool kit (hammer, saw, pliers, level)", "수공구 일식 (마치, 톱, 집게, 수평기)", "Caisse à outils (marteau, scie, pince, niveau)", 10, "reno"),
    DemoItem("REN-ANTISLIP", "RENO", "roll", 6, "Anti-slip tape 50 mm (18 m roll)", "미끄럼방지 띠 50mm (18m 두루마리)", "Ruban antidérapant 50 mm (rouleau 18 m)", 20, "reno"),
    DemoItem("EQP-OVEN", "EQUIP", "piece", 1, "Thermoforming oven for plastics", "플라스틱 성형용 전기로", "Four de thermoformage", 2, "ortho", serial=True),
    DemoItem("EQP-VACPUMP", "EQUIP", "piece", 1, "Vacuum pump for lamination", "적층용 진공뽐프", "Pompe à vide pour stratification", 3, "ortho", serial=True),
    DemoItem("EQP-GRINDER", "EQUIP", "piece", 1, "Belt grinder", "띠연마기", "Ponceuse à bande", 2, "ortho", serial=True),
    DemoItem("EQP-CASTSAW", "EQUIP", "piece", 1, "Oscillating plaster saw", "석고절단기", "Scie à plâtre oscillante", 3, "ortho", serial=True),
    DemoItem("EQP-DRILL", "EQUIP", "piece", 1, "Bench drill", "탁상보르반", "Perceuse d'établi", 2, "ortho", serial=True),
    DemoItem("EQP-SEWING", "EQUIP", "piece", 1, "Heavy-duty sewing machine", "공업용 재봉기", "Machine à coudre industrielle", 2, "ortho", serial=True),
    DemoItem("EQP-AUDIOM", "EQUIP", "piece", 1, "Portable audiometer", "휴대용 청력검사기", "Audiomètre portable", 2, "deaf", serial=True),
    DemoItem("EQP-EMBOSS", "EQUIP", "piece", 1, "Braille embosser", "점자인쇄기", "Embosseuse braille", 1, "blind", serial=True),
    DemoItem("EQP-GENSET", "EQUIP", "piece", 1, "Diesel generator 5 kVA", "디젤발전기 5kVA", "Groupe électrogène diesel 5 kVA", 2, "all", serial=True),
    DemoItem("EQP-LAPTOP", "EQUIP", "piece", 1, "Laptop computer", "휴대용 콤퓨터", "Ordinateur portable", 3, "all", serial=True),
]

GRANTS = [
    # code, donor, title, theme of what it pays for
    ("ECHO-PRK-25-0714", "European Commission, Humanitarian Aid (ECHO)",
     "Physical rehabilitation services in Pyongyang and the provinces", "ortho"),
    ("SDC-KP-7F-10452", "Swiss Agency for Development and Cooperation (SDC)",
     "Inclusive education for deaf and blind children", "edu"),
    ("FMT-2026-003", "Fondation Main Tendue",
     "School renovation and mobile rehabilitation camps", "reno"),
]
# fmt: on

# Consignments into the central warehouse: days after the start of the history, grant code.
CONSIGNMENTS = [
    (3, "ECHO-PRK-25-0714"),
    (38, "SDC-KP-7F-10452"),
    (70, "ECHO-PRK-25-0714"),
    (104, "FMT-2026-003"),
    (137, "ECHO-PRK-25-0714"),
    (165, "SDC-KP-7F-10452"),
]
# Lots that must expire soon (or have expired): item code, consignment index, days from today.
SHORT_DATED = [
    ("MAT-GLUE", 0, -12),
    ("MAT-POP-10", 0, 60),
    ("EDU-HA-BAT675", 1, 45),
    ("MAT-RESIN", 2, 80),
]
# Reorder levels: location, item, whether the demo puts today's stock below the minimum.
REORDER_LEVELS = [
    ("PY-ORC", "ORT-FOOT-SACH-24L", True),
    ("PY-ORC", "ORT-FOOT-SACH-25R", False),
    ("PY-ORC", "MAT-POP-10", True),
    ("PY-ORC", "ORT-KNEE-SA", False),
    ("PY-ORC", "MAT-PP-5", False),
    ("TD-SCB", "EDU-BRL-PAPER", True),
    ("TD-SCB", "EDU-BRL-SLATE4", False),
    ("WS-SCD", "EDU-HA-BAT675", True),
    ("WS-SCD", "EDU-HA-BAT13", False),
    ("HH-ORC", "ORT-FOOT-SACH-26L", False),
    ("HH-ORC", "MAT-PP-3", True),
    ("PY-WH", "REN-CEM-50", False),
    ("PY-WH", "MAT-POP-PWD", False),
    ("PY-WH", "MOB-CRUT-AX-AD", True),
]
DEMO_ACCOUNTS = [
    ("admin", "Demo administrator", Role.ADMIN, None),
    ("logistics", "Demo logistics officer", Role.LOGISTICS, None),
    ("technician", "Demo technician", Role.TECHNICIAN, "PY-ORC"),
    ("viewer", "Demo programme manager", Role.VIEWER, None),
]


@dataclass
class DemoSummary:
    """What ``load_demo`` created."""

    accounts: list[tuple[Role, str, str]] = field(default_factory=list)
    locations: int = 0
    items: int = 0
    transactions: int = 0
    programme_loaded: bool = False


def load_demo(today: date | None = None) -> DemoSummary:
    """Create the demo places, one account per role and, on an empty ledger, the programme.

    The programme (catalogue, grants, reorder levels and about six months of stock history) is
    only loaded when the database has neither items nor stock movements, so a demo is never
    mixed into real data. Flushes, never commits. Returns the accounts with their passwords.
    """
    begin_write()
    summary = DemoSummary()
    places = ensure_places()
    summary.locations = len(places)
    empty = not db.session.scalar(select(func.count()).select_from(Item)) and not (
        db.session.scalar(select(func.count()).select_from(Movement))
    )
    if empty:
        builder = _HistoryBuilder(places, today or business_today())
        builder.build()
        _open_demo_camp(places["MOB-CAMP"], today or business_today())
        summary.programme_loaded = True
        summary.items = len(builder.items)
        summary.transactions = builder.transactions
    summary.accounts = create_accounts(places)
    if summary.programme_loaded:
        _demo_requisitions(places)
    return summary


def _demo_requisitions(places: dict[str, Location]) -> None:
    """Two requisitions from their places' suggestions, to show the review and the backorders.

    The demo technician's centre waits for review; Hamhung's, keyed from paper, is approved as
    far as its warehouse's stock goes (what is approved waits as a backorder to ship).
    """
    users = {u.username: u for u in db.session.scalars(select(User))}
    technician, logistics = users["technician"], users["logistics"]
    waiting = _suggested_requisition(places["PY-ORC"], technician, from_paper=False)
    if waiting is not None:
        submit_requisition(actor=technician, requisition_id=waiting.id)
    reviewed = _suggested_requisition(places["HH-ORC"], logistics, from_paper=True)
    if reviewed is None:
        return
    submit_requisition(actor=logistics, requisition_id=reviewed.id)
    supplier_id = places["HH-ORC"].supplied_by_id
    available = {
        row.item_id: row.on_hand - row.reserved
        for row in db.session.scalars(
            select(ItemBalance).where(ItemBalance.location_id == supplier_id)
        )
    }
    reviews = []
    for line in reviewed.lines:
        can = min(line.quantity, max(available.get(line.item_id, 0), 0))
        if can <= 0:
            reviews.append(
                LineReview(line.id, LineDecision.REJECTED, reason="None at the warehouse")
            )
        elif can < line.quantity:
            reviews.append(
                LineReview(line.id, LineDecision.REDUCED, approved=can, reason="Shared with others")
            )
        else:
            reviews.append(LineReview(line.id, LineDecision.APPROVED))
    review_requisition(actor=logistics, requisition_id=reviewed.id, reviews=reviews)


def _suggested_requisition(place: Location, actor: User, *, from_paper: bool) -> Requisition | None:
    """A draft of what the fill button would ask for, at most ten lines (None: nothing)."""
    wanted = sorted(fill_suggestions(place), key=lambda found: -found[1].fill_quantity)[:10]
    if not wanted:
        return None
    return create_requisition(
        actor=actor,
        location_id=place.id,
        lines=[RequestLine(item.id, f.fill_quantity, "Monthly order") for item, f in wanted],
        from_paper=from_paper,
    )


def _open_demo_camp(place: Location, today: date) -> Camp:
    """Number the demo's camp place as an open camp: loaded and distributing, to be closed."""
    document = register_document(type=DocumentType.CAMP, actor=SYSTEM, on=today)
    camp = Camp(
        document=document,
        location=place,
        village="Sariwon, Kusong-ri school yard",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=4),
        team="Dr Ri Myong Chol (orthopaedist), Kim Song Hui and Pak Chol (technicians), driver",
        status=CampStatus.OPEN,
    )
    db.session.add(camp)
    db.session.flush()
    return camp


def ensure_places() -> dict[str, Location]:
    """Find or create every demo location with its province and supplying warehouse."""
    provinces = {p.code: p for p in db.session.scalars(select(Province))}
    places: dict[str, Location] = {}
    for place in PLACES:
        location = db.session.scalar(select(Location).where(Location.code == place.code))
        if location is None:
            location = Location(
                code=place.code,
                kind=place.kind,
                name=place.name,
                name_ko=place.name_ko,
                name_fr=place.name_fr,
                is_active=True,
                province=provinces.get(place.province),
                supplied_by=places.get(place.supplied_by or ""),
            )
            db.session.add(location)
        places[place.code] = location
    db.session.flush()
    return places


def create_accounts(places: dict[str, Location]) -> list[tuple[Role, str, str]]:
    """One account per role with a random password; the technician works at PY-ORC."""
    accounts = []
    for username, display_name, role, location_code in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        auth_services.create_user(
            actor=SYSTEM,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
            location_id=places[location_code].id if location_code else None,
        )
        accounts.append((role, username, password))
    return accounts


class _HistoryBuilder:
    """Posts the demo history in date order, through the services and the ledger."""

    def __init__(self, places: dict[str, Location], today: date) -> None:
        self.rng = random.Random(SEED)  # noqa: S311  (reproducible demo data, not secrets)
        # Hand-outs draw from their own stream, so the rest of the history stays as it was.
        self.hand_rng = random.Random(SEED + 1)  # noqa: S311
        self.today = today
        self.start = today - timedelta(days=HISTORY_DAYS)
        self.places = places
        self.items: dict[str, Item] = {}
        self.demo_items = {item.code: item for item in CATALOGUE}
        self.grants: dict[str, Grant] = {}
        self.reasons = {r.code: r for r in db.session.scalars(select(AdjustmentReason))}
        self.transactions = 0
        self._serials: set[str] = set()
        self._events: list[tuple[date, int, Callable[[], None]]] = []
        self._order = 0

    # -- set-up ---------------------------------------------------------------------------

    def build(self) -> None:
        self._catalogue()
        self._grants()
        # (date, order, action): posted in date order, as the paper slips were; an action may
        # schedule a later one (a dispatch its arrival).
        events = self._events

        def at(when: date, action: Callable[[], None]) -> None:
            self._at(when, action)

        for number, (day, grant_code) in enumerate(CONSIGNMENTS):
            when = self.start + timedelta(days=day)
            at(when, partial(self._consignment, number, when, grant_code))
            at(
                when + timedelta(days=6),
                partial(self._distribute, "PY-WH", when + timedelta(days=6), provincial=True),
            )
            at(
                when + timedelta(days=10),
                partial(self._distribute, "PY-WH", when + timedelta(days=10), provincial=False),
            )
            for store in ("HH-WH", "SW-WH", "WS-WH"):
                at(
                    when + timedelta(days=16),
                    partial(self._distribute, store, when + timedelta(days=16), provincial=False),
                )
        planned = self._local_purchases() + self._adjustments() + self._showcase()
        for when, action in planned + self._hand_outs():
            at(when, action)
        heapq.heapify(events)
        while events:
            _when, _order, action = heapq.heappop(events)
            action()
        self._reorder_levels()

    def _at(self, when: date, action: Callable[[], None]) -> None:
        self._order += 1
        heapq.heappush(self._events, (when, self._order, action))

    def _catalogue(self) -> None:
        categories = {c.code: c for c in db.session.scalars(select(Category))}
        units = {u.code: u for u in db.session.scalars(select(Unit))}
        for spec in CATALOGUE:
            item = Item(
                code=spec.code,
                name=spec.name,
                name_ko=spec.name_ko,
                name_fr=spec.name_fr,
                category=categories[spec.category],
                unit=units[spec.unit],
                pack_size=spec.pack_size,
                kind=ItemKind.EQUIPMENT if spec.serial else ItemKind.CONSUMABLE,
                tracks_expiry=spec.shelf_days is not None,
                tracks_serial=spec.serial,
                family=spec.family,
                is_active=True,
            )
            db.session.add(item)
            self.items[spec.code] = item
        db.session.flush()

    def _grants(self) -> None:
        first = self.start.replace(day=1) - timedelta(days=150)
        first = first.replace(day=1)
        for code, donor, title, _theme in GRANTS:
            self.grants[code] = save_grant(
                actor=SYSTEM,
                code=code,
                donor=donor,
                title=title,
                starts_on=first,
                ends_on=first.replace(year=first.year + 2) - timedelta(days=1),
            )

    def _key(self) -> str:
        self.transactions += 1
        return f"demo-{self.transactions:04d}"

    # -- receipts -------------------------------------------------------------------------

    def _theme_items(self, theme: str) -> list[DemoItem]:
        if theme == "ortho":
            return [i for i in CATALOGUE if i.serves in ("ortho", "all") and i.category != "RENO"]
        if theme == "edu":
            return [i for i in CATALOGUE if i.serves in ("blind", "deaf", "school", "all")]
        return [
            i
            for i in CATALOGUE
            if i.serves == "reno" or i.code.startswith("MOB-") or i.code == "EQP-GENSET"
        ]

    def _consignment(self, number: int, when: date, grant_code: str) -> None:
        theme = next(t for code, *_rest, t in GRANTS if code == grant_code)
        candidates = self._theme_items(theme)
        forced = {code for code, index, _days in SHORT_DATED if index == number}
        # Each consignment carries most of its theme's catalogue, never all of it.
        chosen = [
            i
            for i in candidates
            if i.code in forced or self.rng.random() < (0.35 if i.serial else 0.75)
        ]
        lines = [self._receipt_line(spec, when, number) for spec in chosen]
        shipment = plan_consignment(
            actor=SYSTEM,
            destination_id=self.places["PY-WH"].id,
            lines=[
                DraftLine(
                    item_id=line.item_id,
                    quantity=line.quantity,
                    lot_code=line.lot_code,
                    expires_on=line.expires_on,
                )
                for line in lines
            ],
            header=Header(
                supplier="HI logistics platform, Lyon (sea freight via Nampho)"
                if number % 2 == 0
                else "HI regional office, Beijing (rail via Dandong)",
                grant_id=self.grants[grant_code].id,
                reference=f"WB-{when.year}-{101 + number:03d}",
                carrier="Nampho port transport" if number % 2 == 0 else "Korean State Railways",
                expected_on=when,
            ),
        )
        entries = []
        damaged_done = False
        for planned, line in zip(shipment.lines, lines, strict=True):
            damaged = 0
            # One consignment arrives with a wet carton: recorded as damaged on arrival.
            if number == 2 and not damaged_done and not line.serials and line.quantity > 4:
                damaged, damaged_done = 2, True
            entries.append(
                LineReceipt(
                    line_id=planned.id,
                    received=line.quantity - damaged,
                    damaged=damaged,
                    serials=tuple(line.serials),
                    note="Carton wet on arrival" if damaged else "",
                )
            )
        receive_shipment(
            actor=SYSTEM,
            shipment_id=shipment.id,
            lines=entries,
            received_on=when,
            operation_key=self._key(),
            note="Consignment checked against the packing list",
        )

    def _receipt_line(self, spec: DemoItem, when: date, number: int) -> ReceiptLine:
        item = self.items[spec.code]
        quantity = max(1, round(spec.typical * self.rng.uniform(0.6, 1.4)))
        if spec.serial:
            prefix = spec.code.split("-")[1][:3]
            serials = [self._serial(prefix) for _ in range(quantity)]
            return ReceiptLine(item.id, quantity, serials=serials)
        if spec.shelf_days is None:
            return ReceiptLine(item.id, quantity)
        made = when - timedelta(days=self.rng.randint(30, 200))
        expires = made + timedelta(days=spec.shelf_days)
        for code, index, days in SHORT_DATED:
            if code == spec.code and index == number:
                expires = self.today + timedelta(days=days)
        lot_code = f"{spec.code.split('-')[-1][:3]}{made:%y%m}-{self.rng.randint(100, 999)}"
        return ReceiptLine(item.id, quantity, lot_code=lot_code, expires_on=expires)

    def _serial(self, prefix: str) -> str:
        while True:
            serial = f"{prefix}-{self.rng.randint(21, 26)}{self.rng.randint(10000, 99999)}"
            if serial not in self._serials:
                self._serials.add(serial)
                return serial

    def _local_purchases(self) -> list[tuple[date, Callable[[], None]]]:
        """Building materials bought in the provinces; one is keyed wrong, reversed, re-entered."""
        grant_id = self.grants["FMT-2026-003"].id
        cement, paint = self.items["REN-CEM-50"].id, self.items["REN-PNT-WH20"].id
        hamhung = self.start + timedelta(days=48)
        sariwon = self.start + timedelta(days=52)
        wrong: list[StockTransaction] = []

        def purchase(
            store: str, when: date, lines: list[ReceiptLine], invoice: str, note: str
        ) -> StockTransaction:
            return record_receipt(
                actor=SYSTEM,
                warehouse_id=self.places[store].id,
                occurred_on=when,
                lines=lines,
                operation_key=self._key(),
                supplier=f"{self.places[store].name.split(', ')[-1]} building materials store",
                grant_id=grant_id,
                reference=invoice,
                note=note,
            )

        def keyed_wrong() -> None:
            wrong.append(
                purchase(
                    "SW-WH",
                    sariwon,
                    [ReceiptLine(cement, 400)],
                    "INV-SW-0087",
                    "Local purchase for the Haeju school renovation",
                )
            )

        def reversed_and_re_entered() -> None:
            reverse_transaction(
                actor=SYSTEM,
                transaction_id=wrong[0].id,
                note="Keyed as 400 bags; the invoice says 40",
                operation_key=self._key(),
                occurred_on=sariwon + timedelta(days=1),
            )
            purchase(
                "SW-WH",
                sariwon + timedelta(days=1),
                [ReceiptLine(cement, 40)],
                "INV-SW-0087",
                "Local purchase for the Haeju school renovation (re-entered)",
            )

        return [
            (
                hamhung,
                lambda: purchase(
                    "HH-WH",
                    hamhung,
                    [ReceiptLine(cement, 120), ReceiptLine(paint, 24)],
                    "INV-HH-0412",
                    "Local purchase for the Hamhung school renovation",
                ),
            ),
            (sariwon, keyed_wrong),
            (sariwon + timedelta(days=1), reversed_and_re_entered),
        ]

    # -- transfers ------------------------------------------------------------------------

    def _stock_at(self, location: Location) -> dict[int, list[tuple[int, int]]]:
        """Lots on hand at a place per item, first to expire first."""
        rows = db.session.execute(
            select(Balance.item_id, Balance.lot_id, Balance.quantity)
            .join(Lot, Lot.id == Balance.lot_id)
            .where(Balance.location_id == location.id, Balance.quantity > 0)
            .order_by(Balance.item_id, Lot.expires_on.asc().nulls_last(), Lot.id)
        )
        stock: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for item_id, lot_id, quantity in rows:
            stock[item_id].append((lot_id, quantity))
        return stock

    def _wants(self, place: DemoPlace, spec: DemoItem) -> bool:
        """Whether ``place`` stocks ``spec``: a store what the places it supplies stock."""
        if place.kind is LocationKind.WAREHOUSE:
            return any(
                self._wants(other, spec) for other in PLACES if other.supplied_by == place.code
            )
        if spec.serves == "all":
            return True
        if place.kind is LocationKind.CAMP:
            return spec.serves == "ortho" and not spec.serial
        if spec.serves == "reno":
            return True
        if spec.serves == "school":
            return place.kind is LocationKind.SCHOOL
        return spec.serves == place.serves

    def _distribute(self, source_code: str, when: date, *, provincial: bool) -> None:
        """Send part of a store's stock to the places it supplies, as shipments."""
        source = self.places[source_code]
        targets = [
            place
            for place in PLACES
            if place.supplied_by == source_code
            and (place.kind is LocationKind.WAREHOUSE) is provincial
        ]
        stock = self._stock_at(source)
        by_id = {self.items[code].id: spec for code, spec in self.demo_items.items()}
        for target in targets:
            share = 0.15 if provincial else (0.3 if source_code != "PY-WH" else 0.12)
            if target.code == "PY-ORC":
                share = 0.25
            lines: list[tuple[int, int, int]] = []
            # An issue slip lists a couple of dozen goods at most, not the whole store.
            wanted_ids = [i for i, lots in stock.items() if lots and self._wants(target, by_id[i])]
            self.rng.shuffle(wanted_ids)
            for item_id in sorted(wanted_ids[: MAX_ISSUE_LINES.get(target.code, 10)]):
                lots = stock[item_id]
                total = sum(quantity for _lot, quantity in lots)
                wanted = int(total * share * self.rng.uniform(0.8, 1.2))
                if wanted == 0 and total > 1 and self.rng.random() < 0.5:
                    wanted = 1
                for index, (lot_id, quantity) in enumerate(lots):
                    if wanted <= 0:
                        break
                    taken = min(quantity, wanted)
                    wanted -= taken
                    lots[index] = (lot_id, quantity - taken)
                    lines.append((item_id, lot_id, taken))
                stock[item_id] = [(lot, quantity) for lot, quantity in lots if quantity > 0]
            if lines:
                self._ship(source, self.places[target.code], when, lines)

    def _ship(
        self,
        source: Location,
        target: Location,
        when: date,
        lines: list[tuple[int, int, int]],
        *,
        arrives: bool = True,
    ) -> Shipment:
        """Dispatch ``(item, lot, quantity)`` lines on ``when``; they arrive a day or two later."""
        shipment = create_dispatch(
            actor=SYSTEM,
            origin_id=source.id,
            destination_id=target.id,
            lines=[DraftLine(item_id=i, lot_id=lot, quantity=q) for i, lot, q in lines],
            header=Header(
                carrier="Programme truck",
                vehicle=f"{source.code[:2]} 27-{100 + target.id % 900:03d}",
                driver="Ri Chol Nam" if target.id % 2 else "Kim Song Il",
                note=f"Issue to {target.name}",
            ),
        )
        dispatch_shipment(
            actor=SYSTEM,
            shipment_id=shipment.id,
            dispatched_on=when,
            operation_key=self._key(),
        )
        if arrives:
            same_province = source.province_id == target.province_id
            arrival = min(when + timedelta(days=1 if same_province else 2), self.today)
            self._at(arrival, partial(self._receive_all, shipment.id, arrival))
        return shipment

    def _receive_all(self, shipment_id: int, when: date) -> None:
        shipment = db.session.get(Shipment, shipment_id)
        receive_shipment(
            actor=SYSTEM,
            shipment_id=shipment_id,
            lines=[LineReceipt(line_id=line.id, received=line.quantity) for line in shipment.lines],
            received_on=when,
            operation_key=self._key(),
            note="Received in good order",
        )

    # -- distributions: what the places hand out ----------------------------------------------

    def _hand_outs(self) -> list[tuple[date, Callable[[], None]]]:
        """A slip at every centre, school and camp each fortnight; the last days' not back yet."""
        events: list[tuple[date, Callable[[], None]]] = []
        places = [place for place in PLACES if place.kind is not LocationKind.WAREHOUSE]
        for round_number, day in enumerate(range(21, HISTORY_DAYS, 14)):
            when = self.start + timedelta(days=day)
            for place in places:
                events.append((when, partial(self._hand_out, place, when, round_number)))
        last = self.today - timedelta(days=2)
        centre = next(place for place in PLACES if place.code == "PY-ORC")
        events.append((last, partial(self._hand_out, centre, last, 0)))
        return events

    def _hand_out(self, place: DemoPlace, when: date, round_number: int) -> None:
        """Record one distribution at ``place`` of a few units of what it holds (FEFO)."""
        location = self.places[place.code]
        workshop = place.kind is LocationKind.CENTRE and round_number % 3 == 2
        rows = db.session.execute(
            select(Balance.item_id, Balance.lot_id, Balance.quantity, Item.code)
            .join(Lot, Lot.id == Balance.lot_id)
            .join(Item, Item.id == Balance.item_id)
            .where(
                Balance.location_id == location.id,
                Balance.quantity >= 2,
                Lot.serial.is_(None),
                (Lot.expires_on.is_(None)) | (Lot.expires_on > when + timedelta(days=30)),
            )
            .order_by(Balance.item_id, Lot.expires_on.asc().nulls_last(), Lot.id)
        ).all()
        first_lots: dict[int, tuple[int, int]] = {}
        for item_id, lot_id, quantity, code in rows:
            if code.startswith("MAT-") is workshop and item_id not in first_lots:
                first_lots[item_id] = (lot_id, quantity)
        if not first_lots:
            return
        chosen = self.hand_rng.sample(
            sorted(first_lots), min(len(first_lots), self.hand_rng.randint(1, 3))
        )
        lines = [
            LineInput(item_id, first_lots[item_id][0], max(1, min(4, first_lots[item_id][1] // 10)))
            for item_id in chosen
        ]
        number = self.hand_rng.randint(1, 400)
        if workshop:
            recipient = Recipient(type=RecipientType.WORKSHOP)
        elif place.kind is LocationKind.SCHOOL:
            recipient = Recipient(
                type=RecipientType.CLASS,
                reference=f"SCH-{location.id:02d}{round_number % 6 + 1:02d}",
                headcounts={
                    "girls": self.hand_rng.randint(3, 12),
                    "boys": self.hand_rng.randint(3, 12),
                },
            )
        elif place.kind is LocationKind.CAMP:
            recipient = Recipient(
                type=RecipientType.CAMP_SESSION,
                reference=f"CMP-{round_number + 1:04d}",
                headcounts={
                    "girls": self.hand_rng.randint(0, 5),
                    "boys": self.hand_rng.randint(0, 5),
                    "women": self.hand_rng.randint(2, 9),
                    "men": self.hand_rng.randint(2, 9),
                    "older_women": self.hand_rng.randint(0, 4),
                    "older_men": self.hand_rng.randint(0, 4),
                },
            )
        else:
            recipient = Recipient(
                type=RecipientType.PATIENT,
                reference=f"BEN-{number:04d}",
                service=self.hand_rng.choice(list(FittingService)),
                side=self.hand_rng.choice(list(Side)),
            )
        distribution = record_distribution(
            actor=SYSTEM,
            location_id=location.id,
            distributed_on=when,
            recipient=recipient,
            lines=lines,
            operation_key=self._key(),
        )
        if when < self.today - timedelta(days=10):
            mark_returned(
                actor=SYSTEM,
                distribution_id=distribution.id,
                returned_on=min(when + timedelta(days=self.hand_rng.randint(1, 7)), self.today),
            )

    # -- shipments in every state -----------------------------------------------------------

    def _plentiful(self, count: int, skip: int = 0) -> list[tuple[int, int, int]]:
        """(item, lot, on hand) of the fullest unexpiring, unserialised lots at the central store."""
        rows = db.session.execute(
            select(Balance.item_id, Balance.lot_id, Balance.quantity)
            .join(Lot, Lot.id == Balance.lot_id)
            .where(
                Balance.location_id == self.places["PY-WH"].id,
                Balance.quantity >= 20,
                Lot.serial.is_(None),
                (Lot.expires_on.is_(None)) | (Lot.expires_on > self.today + timedelta(days=120)),
            )
            .order_by(Balance.quantity.desc(), Balance.lot_id)
            .offset(skip)
            .limit(count)
        ).all()
        return [(row.item_id, row.lot_id, row.quantity) for row in rows]

    def _showcase(self) -> list[tuple[date, Callable[[], None]]]:
        """The last week's shipments, left in every state for the pages to show."""
        central = self.places["PY-WH"]

        def few(count: int, skip: int) -> list[tuple[int, int, int]]:
            return [(i, lot, max(2, q // 50)) for i, lot, q in self._plentiful(count, skip)]

        def partly_received_with_a_shortage() -> None:
            when = self.today - timedelta(days=6)
            shipment = self._ship(central, self.places["PY-ORC"], when, few(3, 0), arrives=False)
            first, second, _third = shipment.lines
            receive_shipment(
                actor=SYSTEM,
                shipment_id=shipment.id,
                lines=[
                    LineReceipt(line_id=first.id, received=first.quantity),
                    LineReceipt(
                        line_id=second.id,
                        received=second.quantity - 1,
                        lost=1,
                        reason_id=self.reasons["lost"].id,
                        note="One carton missing on arrival; the driver signed the waybill",
                    ),
                ],
                received_on=when + timedelta(days=1),
                operation_key=self._key(),
                note="Third line not unloaded yet: second truck expected",
            )

        def recalled() -> None:
            when = self.today - timedelta(days=7)
            shipment = self._ship(central, self.places["SR-ORC"], when, few(2, 3), arrives=False)
            recall_shipment(
                actor=SYSTEM,
                shipment_id=shipment.id,
                reason="Road to Songrim closed by floods; truck turned back",
                operation_key=self._key(),
                recalled_on=when + timedelta(days=1),
            )

        def in_transit() -> None:
            for code, days in (("PY-ORC", 1), ("HH-ORC", 2)):
                when = self.today - timedelta(days=days)
                self._ship(central, self.places[code], when, few(2, 5), arrives=False)

        def drafts() -> None:
            cancelled = create_dispatch(
                actor=SYSTEM,
                origin_id=central.id,
                destination_id=self.places["TD-SCB"].id,
                lines=[DraftLine(item_id=i, lot_id=lot, quantity=q) for i, lot, q in few(2, 7)],
            )
            cancel_shipment(
                actor=SYSTEM, shipment_id=cancelled.id, reason="Entered twice; the other is kept"
            )
            create_dispatch(
                actor=SYSTEM,
                origin_id=central.id,
                destination_id=self.places["SNJ-ORC"].id,
                lines=[DraftLine(item_id=i, lot_id=lot, quantity=q) for i, lot, q in few(3, 9)],
                header=Header(note="To go with the next truck to Sinuiju"),
            )
            theme = self._theme_items("ortho")[:4]
            plan_consignment(
                actor=SYSTEM,
                destination_id=central.id,
                lines=[
                    DraftLine(item_id=self.items[spec.code].id, quantity=spec.typical)
                    for spec in theme
                    if not spec.serial and spec.shelf_days is None
                ]
                or [DraftLine(item_id=self.items["REN-CEM-50"].id, quantity=100)],
                header=Header(
                    supplier="HI logistics platform, Lyon (sea freight via Nampho)",
                    grant_id=self.grants["ECHO-PRK-25-0714"].id,
                    reference=f"WB-{self.today.year}-120",
                    carrier="Nampho port transport",
                    expected_on=self.today + timedelta(days=12),
                ),
            )

        return [
            (self.today - timedelta(days=7), recalled),
            (self.today - timedelta(days=6), partly_received_with_a_shortage),
            (self.today - timedelta(days=2), in_transit),
            (self.today - timedelta(days=1), drafts),
        ]

    # -- adjustments ----------------------------------------------------------------------

    def _adjust(
        self,
        place: str,
        item_code: str,
        quantity: int,
        reason: str,
        days_ago: int,
        note: str,
        lot_id: int | None = None,
    ) -> None:
        location, item = self.places[place], self.items[item_code]
        reason_row = self.reasons[reason]
        direction = (
            AdjustmentDirection.IN
            if reason_row.direction is AdjustmentDirection.IN
            else AdjustmentDirection.OUT
        )
        item_id = item.id
        if lot_id is None:
            found = self._lot_for_adjustment(location, item, direction)
            if found is None:
                return
            item_id, lot_id, on_hand = found
            if direction is AdjustmentDirection.OUT:
                quantity = min(quantity, on_hand)
        if quantity <= 0:
            return
        adjust_stock(
            actor=SYSTEM,
            location_id=location.id,
            item_id=item_id,
            lot_id=lot_id,
            quantity=quantity,
            direction=direction,
            reason_id=reason_row.id,
            occurred_on=self.today - timedelta(days=days_ago),
            operation_key=self._key(),
            note=note,
        )

    @staticmethod
    def _lot_for_adjustment(
        location: Location, item: Item, direction: AdjustmentDirection
    ) -> tuple[int, int, int] | None:
        """(item, lot, on hand) to adjust: the fullest lot of the item at the place.

        Taking out, when the place has none of it, the fullest lot of a like item (same
        category) stands in; bringing in, any known lot of the item will do.
        """
        on_hand = (
            select(Balance.item_id, Balance.lot_id, Balance.quantity)
            .where(Balance.location_id == location.id, Balance.quantity > 0)
            .order_by(Balance.quantity.desc(), Balance.lot_id)
            .limit(1)
        )
        row = db.session.execute(on_hand.where(Balance.item_id == item.id)).one_or_none()
        if row is None and direction is AdjustmentDirection.OUT:
            row = db.session.execute(
                on_hand.join(Item, Item.id == Balance.item_id).where(
                    Item.category_id == item.category_id
                )
            ).one_or_none()
        if row is None and direction is AdjustmentDirection.IN:
            lot_id = db.session.scalar(select(func.max(Lot.id)).where(Lot.item_id == item.id))
            return None if lot_id is None else (item.id, lot_id, 0)
        return None if row is None else (row.item_id, row.lot_id, row.quantity)

    def _adjustments(self) -> list[tuple[date, Callable[[], None]]]:
        """Damage, loss, a find, a keying correction and the write-off of the expired lot."""
        plan = [
            ("HH-WH", "MAT-PP-5", 2, "damaged", 150, "Damaged in transport from Pyongyang"),
            ("PY-ORC", "MOB-CRUT-AX-AD", 1, "damaged", 95, "Broken in the fitting room"),
            ("SW-WH", "REN-CEM-50", 3, "damaged", 60, "Spoilt by damp in the store"),
            ("WS-SCD", "EDU-HA-BAT13", 2, "lost", 40, "Not found at the monthly check"),
            ("TD-SCB", "EDU-BRL-CANE120", 1, "found", 30, "Found in the dormitory store"),
            ("PY-ORC", "MAT-PP-3", 1, "correction", 20, "Issue slip keyed twice"),
        ]
        events: list[tuple[date, Callable[[], None]]] = [
            (self.today - timedelta(days=row[4]), partial(self._adjust, *row)) for row in plan
        ]
        events.append((self.today - timedelta(days=5), self._write_off_expired))
        return events

    def _write_off_expired(self) -> None:
        """Write off the expired lot where most of it lies; elsewhere it awaits write-off."""
        glue = self.items["MAT-GLUE"]
        expired = db.session.execute(
            select(Balance.location_id, Balance.lot_id, Balance.quantity)
            .join(Lot, Lot.id == Balance.lot_id)
            .join(Location, Location.id == Balance.location_id)
            .where(
                Balance.item_id == glue.id,
                Lot.expires_on < self.today,
                Balance.quantity > 0,
                Location.kind != LocationKind.WAREHOUSE,
            )
            .order_by(Balance.quantity.desc(), Balance.location_id)
            .limit(1)
        ).one_or_none()
        if expired is None:
            return
        code = next(c for c, loc in self.places.items() if loc.id == expired.location_id)
        self._adjust(
            code,
            "MAT-GLUE",
            expired.quantity,
            "expired",
            5,
            "Expired; cans returned for disposal",
            lot_id=expired.lot_id,
        )

    def _reorder_levels(self) -> None:
        for place, item_code, below in REORDER_LEVELS:
            location, item = self.places[place], self.items[item_code]
            on_hand = db.session.scalar(
                select(func.coalesce(func.sum(Balance.quantity), 0)).where(
                    Balance.location_id == location.id, Balance.item_id == item.id
                )
            )
            if below:
                minimum = on_hand + self.rng.randint(3, 15)
            else:
                minimum = max(1, round(on_hand * self.rng.uniform(0.3, 0.6)))
                if not on_hand:
                    minimum = max(1, self.demo_items[item_code].typical // 4)
            set_reorder_level(
                actor=SYSTEM,
                location_id=location.id,
                item_id=item.id,
                minimum=minimum,
                maximum=max(minimum * 3, on_hand),
            )
