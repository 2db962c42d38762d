"""The vocabulary of the synthetic portfolio: places, industries, names, terms, signals.

Plain tables, read once. Weights are relative frequencies; risk offsets shift a customer's
latent default log-odds. Every number here is a default of the simulation, not a fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


def _words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text``; '~' stands for a space inside a word."""
    return tuple(word.replace("~", " ") for word in text.split())


def _table(text: str) -> tuple[tuple[str, ...], ...]:
    """Rows of a whitespace-separated table; '~' stands for a space inside a cell."""
    return tuple(
        tuple(cell.replace("~", " ") for cell in line.split())
        for line in text.strip().splitlines()
        if line.strip()
    )


# city, province (the region), phone area code, administrative division code, weight
CITIES: Final = _table("""
上海 Shanghai 21 310000 8
北京 Beijing 10 110000 6
深圳 Guangdong 755 440300 7
广州 Guangdong 20 440100 6
东莞 Guangdong 769 441900 5
佛山 Guangdong 757 440600 4
杭州 Zhejiang 571 330100 5
宁波 Zhejiang 574 330200 4
温州 Zhejiang 577 330300 3
义乌 Zhejiang 579 330782 2
苏州 Jiangsu 512 320500 6
南京 Jiangsu 25 320100 4
无锡 Jiangsu 510 320200 3
常州 Jiangsu 519 320400 3
青岛 Shandong 532 370200 3
济南 Shandong 531 370100 2
烟台 Shandong 535 370600 2
天津 Tianjin 22 120000 3
武汉 Hubei 27 420100 3
成都 Sichuan 28 510100 3
重庆 Chongqing 23 500000 3
西安 Shaanxi 29 610100 2
长沙 Hunan 731 430100 2
郑州 Henan 371 410100 2
合肥 Anhui 551 340100 2
厦门 Fujian 592 350200 2
福州 Fujian 591 350100 2
泉州 Fujian 595 350500 2
沈阳 Liaoning 24 210100 2
大连 Liaoning 411 210200 2
石家庄 Hebei 311 130100 2
南昌 Jiangxi 791 360100 1
昆明 Yunnan 871 530100 1
南宁 Guangxi 771 450100 1
哈尔滨 Heilongjiang 451 230100 1
长春 Jilin 431 220100 1
太原 Shanxi 351 140100 1
""")

# Provinces whose buyers are riskier (or safer) than average: log-odds offsets.
PROVINCE_RISK: Final[Mapping[str, float]] = MappingProxyType(
    {
        "Liaoning": 0.35,
        "Heilongjiang": 0.45,
        "Jilin": 0.4,
        "Shanxi": 0.3,
        "Hebei": 0.2,
        "Yunnan": 0.2,
        "Guangxi": 0.15,
        "Shanghai": -0.15,
        "Beijing": -0.1,
        "Zhejiang": -0.05,
        "Jiangsu": -0.05,
    }
)

# word in the name, industry code, product (Chinese), product (English), risk offset, weight
INDUSTRIES: Final = _table("""
机电 machinery 机电设备 machinery~parts 0.0 10
电子 electronics 电子元器件 electronic~components -0.1 10
化工 chemicals 化工原料 chemical~materials 0.1 6
纺织 textiles 纺织面料 textile~fabrics 0.3 5
服饰 apparel 成衣 garments 0.35 4
建材 building_materials 建筑材料 building~materials 0.45 5
建设工程 construction 工程物资 construction~supplies 0.6 4
食品 food 食品原料 food~ingredients -0.1 6
医疗器械 medical_devices 医疗耗材 medical~supplies -0.3 4
汽车配件 auto_parts 汽车零部件 auto~parts 0.1 6
物流 logistics 物流服务 logistics~services 0.1 4
包装 packaging 包装材料 packaging~materials 0.0 5
五金 hardware 五金配件 hardware~fittings 0.05 6
塑料制品 plastics 塑料粒子 plastic~pellets 0.1 5
家具 furniture 家具板材 furniture~panels 0.25 4
新能源 renewable_energy 光伏组件 solar~modules 0.2 5
钢材 steel 钢材 steel~products 0.3 5
软件 software 软件服务 software~services -0.2 3
""")

# ISO country, English name (the region), currency, dialling code, weight, legal forms
EXPORT_COUNTRIES: Final = _table("""
US United~States USD 1 30 Inc.|LLC|Corp.
DE Germany EUR 49 12 GmbH|AG
NL Netherlands EUR 31 5 B.V.
FR France EUR 33 5 SAS|SARL
IT Italy EUR 39 5 S.r.l.|S.p.A.
ES Spain EUR 34 4 S.L.|S.A.
GB United~Kingdom GBP 44 6 Ltd|PLC
JP Japan JPY 81 6 Co.,~Ltd.|K.K.
KR South~Korea KRW 82 4 Co.,~Ltd.
SG Singapore SGD 65 3 Pte.~Ltd.
AU Australia AUD 61 3 Pty~Ltd
CA Canada CAD 1 3 Inc.|Ltd.
HK Hong~Kong HKD 852 3 Limited
CH Switzerland CHF 41 2 AG|GmbH
AE United~Arab~Emirates AED 971 2 LLC|FZE
IN India INR 91 3 Pvt.~Ltd.
VN Vietnam VND 84 3 Co.,~Ltd.
TH Thailand THB 66 2 Co.,~Ltd.
MY Malaysia MYR 60 2 Sdn.~Bhd.
BR Brazil BRL 55 2 Ltda.
MX Mexico MXN 52 2 S.A.~de~C.V.
PL Poland PLN 48 2 Sp.~z~o.o.
""")

# Rough yuan per unit of each currency, to express yuan-sized amounts in the buyer's currency.
# Synthetic: a currency missing here is taken at one yuan per unit.
YUAN_PER_UNIT: Final[Mapping[str, float]] = MappingProxyType(
    {
        "CNY": 1.0,
        "USD": 7.2,
        "EUR": 7.8,
        "GBP": 9.1,
        "JPY": 0.048,
        "KRW": 0.0052,
        "SGD": 5.3,
        "AUD": 4.7,
        "CAD": 5.2,
        "HKD": 0.92,
        "CHF": 8.1,
        "AED": 1.96,
        "INR": 0.086,
        "VND": 0.00028,
        "THB": 0.2,
        "MYR": 1.6,
        "BRL": 1.3,
        "MXN": 0.4,
        "PLN": 1.8,
        "KWD": 23.4,
    }
)

# Two distinct characters make a trade name (字号): 恒 + 信 = 恒信.
TRADE_CHARS: Final = (
    "华恒鼎宏金瑞永新博中汇精天盛安通联德嘉卓远荣泰"
    "信达丰昌隆兴源诚力创润海阳光明辉凯宇佳和顺祥益广东南北正弘"
)
LEGAL_SUFFIXES: Final = ("有限公司", "科技有限公司", "贸易有限公司", "股份有限公司")
LEGAL_SUFFIX_WEIGHTS: Final = (70, 12, 12, 6)
GROUP_SUFFIX: Final = "集团有限公司"
EXPORT_WORDS: Final = _words("""
Pacific Atlantic Summit Harbor Evergreen Northstar Keystone Meridian Silverline Bluewater
Redwood Ironbridge Lakeside Crescent Horizon Pioneer Granite Beacon Westfield Oakmont
Riverside Sterling Cobalt Falcon Coastal Alpine Vanguard Liberty Orchid Union
""")
EXPORT_TRADES: Final = _words("""
Trading Industries Supply Components Distribution Imports Manufacturing Retail Wholesale Sourcing
""")

SURNAMES: Final = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN_NAMES: Final = _words("""
伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀英 建华 晓东 海燕 志强 丽华 国庆 建军 婷 浩 鹏 晨
""")
EXPORT_FIRST: Final = _words("""
Anna John Sophie Luca Emma Daniel Laura Michael Olivia David Julia Thomas Sarah Kenji Min-jun
""")
EXPORT_LAST: Final = _words("""
Schmidt Miller Martin Rossi de~Vries Smith Garcia Brown Tanaka Kim Dubois Novak Wilson Lee Clark
""")
SALESPEOPLE: Final = (
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨磊",
    "赵敏",
    "黄涛",
    "周杰",
    "吴婷",
)
EXPORT_SALESPEOPLE: Final = ("Linda Zhang", "Kevin Wang", "Emily Chen", "Jason Liu")
# The alphabet of the unified social credit code (统一社会信用代码) and its check weights.
USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Payment terms the generator writes (all read back by creditguard.core.terms.parse_terms):
# code, days to the (last) due date, end of month, cash discount, 30% prepayment.
TERMS: Final = (
    ("net 30", 30, False, False, False),
    ("net 60", 60, False, False, False),
    ("net 90", 90, False, False, False),
    ("eom 30", 30, True, False, False),
    ("2/10 net 30", 30, False, True, False),
    ("30% 0, 70% 60", 60, False, False, True),
)
DISCOUNT_PERCENT: Final = 2  # the "2" of 2/10 net 30
DISCOUNT_DAYS: Final = 10  # the "10" of 2/10 net 30
PREPAY_PERCENT: Final = 30  # the "30%" of 30% 0, 70% 60
# Terms by risk segment A, B, C, D (columns in the order of TERMS): the seed's policy
# (A long terms, B net 60, C net 30 with prepayment, D prepayment), blurred as real books are.
TERMS_BY_SEGMENT: Final = (
    (10, 30, 20, 20, 20, 0),
    (30, 25, 0, 25, 20, 0),
    (45, 0, 0, 20, 0, 35),
    (30, 0, 0, 0, 0, 70),
)
SEGMENTS: Final = ("A", "B", "C", "D")
SEGMENT_LIMITS: Final = (0.01, 0.03, 0.08)  # annual PD upper bounds of A, B, C

PAYMENT_METHODS: Final = ("bank_transfer", "bill", "cash")
PAYMENT_METHOD_WEIGHTS: Final = (72, 25, 3)  # domestic; export buyers pay by bank transfer
CREDIT_REASONS: Final = (
    "退货 goods returned",
    "现金折扣 cash discount 2/10",
    "争议和解 dispute settled: quality",
    "争议和解 dispute settled: short delivery",
    "争议和解 dispute settled: price difference",
    "争议和解 dispute settled: late delivery",
)
DISPUTE_REASONS: Final = ("quality", "short_delivery", "price_difference", "late_delivery")
DISPUTE_REASON_WEIGHTS: Final = (45, 25, 20, 10)
ORDER_STATUSES: Final = ("confirmed", "shipped", "invoiced", "cancelled")
DEFAULT_KINDS: Final = ("bankruptcy", "protracted_default")

# External risk signal, Chinese name, weight among true alarms, weight among false alarms,
# median lead time before the default in days.
SIGNALS: Final = _table("""
litigation 诉讼 25 20 90
enforcement 被执行 25 8 60
equity_change 股权变更 8 25 150
legal_representative_change 法定代表人变更 8 20 120
rating_downgrade 信用评级下调 12 10 45
tax_violation 税务违法 8 7 100
administrative_penalty 行政处罚 6 10 120
bankruptcy_filing 破产申请 0 1 10
""")
BANKRUPTCY_SIGNAL: Final = "bankruptcy_filing"
