# ruff: noqa: RUF001 - Cyrillic and Armenian text is the point of this file
"""Per-language facts of the replica site: URL prefixes, labels, month names and text corpora.

Everything here mirrors docs/site.md; the generator draws from these tables so the
site's vocabulary lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

SITE = "https://caliber.az"
LANGS: tuple[str, ...] = ("en", "ru", "hy")


@dataclass(frozen=True)
class Lang:
    """What differs between the three language versions of the site."""

    code: str
    prefix: str  # path prefix: '' for ru, 'en/' for en, 'arm/' for hy
    html_lang: str
    analytics_slug: str
    analytics_label: str
    offsection_label: str
    views_label: str
    months: tuple[str, ...]
    search_placeholder: str
    footer_text: str
    lang_switch: tuple[tuple[str, str], ...]  # (label, home path) of the other languages
    reported: str  # "As Caliber.Az reports," — article text, not boilerplate

    @property
    def listing_path(self) -> str:
        """Path of the Analytics listing of this language (page 1)."""
        return f"/{self.prefix}category/{self.analytics_slug}"

    @property
    def home(self) -> str:
        """Absolute URL of the language's home page."""
        return f"{SITE}/{self.prefix}"


EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
RU_MONTHS = (
    "Января", "Февраля", "Марта", "Апреля", "Мая", "Июня",
    "Июля", "Августа", "Сентября", "Октября", "Ноября", "Декабря",
)  # fmt: skip
HY_MONTHS = (
    "Հունվարի", "Փետրվարի", "Մարտի", "Ապրիլի", "Մայիսի", "Հունիսի",
    "Հուլիսի", "Օգոստոսի", "Սեպտեմբերի", "Հոկտեմբերի", "Նոյեմբերի", "Դեկտեմբերի",
)  # fmt: skip

LANG: dict[str, Lang] = {
    "en": Lang(
        code="en",
        prefix="en/",
        html_lang="en",
        analytics_slug="analytics",
        analytics_label="ANALYTICS",
        offsection_label="POLITICS",
        views_label="Views:",
        months=EN_MONTHS,
        search_placeholder="WHAT ARE YOU LOOKING FOR ?",
        footer_text="Any use of materials is allowed only if there is a hyperlink to Caliber.az",
        lang_switch=(("ru", ""), ("arm", "arm/")),
        reported="As Caliber.Az reports,",
    ),
    "ru": Lang(
        code="ru",
        prefix="",
        html_lang="ru",
        analytics_slug="analitika",
        analytics_label="АНАЛИТИКА",
        offsection_label="ПОЛИТИКА",
        views_label="Просмотров:",
        months=RU_MONTHS,
        search_placeholder="ЧТО ВЫ ИЩЕТЕ ?",
        footer_text="Все права защищены..",
        lang_switch=(("en", "en/"), ("arm", "arm/")),
        reported="Как передает Caliber.Az,",
    ),
    "hy": Lang(
        code="hy",
        prefix="arm/",
        html_lang="hy",
        analytics_slug="analytics",
        analytics_label="ՎԵՐԼՈՒԾՈՒԹՅՈՒՆ",
        offsection_label="ՔԱՂԱՔԱԿԱՆՈՒԹՅՈՒՆ",
        views_label="Դիտումներ:",
        months=HY_MONTHS,
        search_placeholder="ԻՆՉ ԵՍ ՓՆՏՐՈՒՄ ?",
        footer_text="All rights reserved..",
        lang_switch=(("ru", ""), ("en", "en/")),
        reported="Ինչպես հաղորդում է Caliber.Az-ը,",
    ),
}

# Titles: a head, optionally followed by ": tail". Some carry characters the page writes as
# entities (" & ') so the crawler's entity decoding is exercised.
TITLE_HEADS: dict[str, tuple[str, ...]] = {
    "en": (
        "Populism instead of progress",
        "Caspian transit: the corridor's arithmetic",
        "Armenia's renunciation of territorial claims or struggle for power?",
        "Fake arithmetic of the revanchists",
        'Armenian "peacemaker" show in France',
        "The talks after the talks",
        "Why the Middle Corridor needs more ferries",
        "Yerevan's new constitution & old habits",
        "Brussels, Washington and the South Caucasus",
        "What the Zangezur route means for Central Asia",
        'The "third force" in the peace process',
        "Energy security after the winter",
        "How Baku reads Moscow's signals",
        "Delimitation: the map that matters",
        "Gas, grids and green hydrogen",
        "A summit without a communiqué",
        "Tehran's balancing act on the Araz",
        "Sanctions, transit & the new trade map",
        "Old rhetoric, new borders",
        "Who benefits from the stalemate?",
        "The diaspora's long shadow",
        "Black Sea ports in a changing market",
    ),
    "ru": (
        "Мирный договор: что осталось согласовать",
        "Прокуратура требует смертной казни для экс-президента Южной Кореи",
        "Средний коридор: арифметика транзита",
        "Реваншисты и их «арифметика»",
        'Ереван и "третья сила" в мирном процессе',
        "Почему Брюссель торопится на Южный Кавказ",
        "Энергетика & безопасность: уроки зимы",
        "Зангезурский маршрут и Центральная Азия",
        "Делимитация: карта, которая имеет значение",
        "Саммит без коммюнике",
        "Тегеран между двумя берегами Аракса",
        "Газ, сети и зелёный водород",
        "Старая риторика, новые границы",
        "Кому выгоден застой в переговорах?",
        "Порты Черного моря на меняющемся рынке",
        "Как Баку читает сигналы Москвы",
        "Популизм вместо прогресса",
        "Диаспора и ее длинная тень",
        "Санкции, транзит и новая карта торговли",
        "Шоу «миротворцев» во Франции",
    ),
    "hy": (
        "Ի՞նչն է խանգարում խաղաղության պայմանագրին",
        "Միջին միջանցքի թվաբանությունը",
        "Սահմանազատում. քարտեզ, որը կարևոր է",
        'Երևանը և "երրորդ ուժը" խաղաղության գործընթացում',
        "Գազ, ցանցեր & կանաչ ջրածին",
        "Գագաթնաժողով առանց համատեղ հայտարարության",
        "Հին հռետորաբանություն, նոր սահմաններ",
        "Ո՞ւմ է ձեռնտու բանակցությունների փակուղին",
        "Սև ծովի նավահանգիստները փոփոխվող շուկայում",
        "Պոպուլիզմ առաջընթացի փոխարեն",
        "Սփյուռքի երկար ստվերը",
        "Էներգետիկ անվտանգությունը ձմռանից հետո",
        "Պատժամիջոցներ, տարանցում և առևտրի նոր քարտեզ",
        "Թեհրանի հավասարակշռությունը Արաքսի վրա",
        "Ինչպես է Բաքուն կարդում Մոսկվայի ազդանշանները",
        "Բրյուսելը, Վաշինգտոնը և Հարավային Կովկասը",
    ),
}

TITLE_TAILS: dict[str, tuple[str, ...]] = {
    "en": (
        "a view from Baku",
        "three scenarios",
        "what comes next",
        "the experts' verdict",
        "facts & figures",
        "lessons of the year",
    ),
    "ru": (
        "взгляд из Баку",
        "три сценария",
        "что дальше",
        "мнение экспертов",
        "факты & цифры",
        "уроки года",
    ),
    "hy": (
        "հայացք Բաքվից",
        "երեք սցենար",
        "ի՞նչ է լինելու հետո",
        "փորձագետների կարծիքը",
        "փաստեր & թվեր",
    ),
}

SUBTITLES: dict[str, tuple[str, ...]] = {
    "en": (
        "Why capacity, not demand, sets the pace",
        "Pashinyan is dodging again",
        "Expert opinions on Caliber.Az",
        "The region's new logistics in numbers",
        "Between promises and practice",
        'A "historic" chance, or another pause?',
    ),
    "ru": (
        "Пашинян снова уклоняется",
        "Мнения экспертов на Caliber.Az",
        "Новая логистика региона в цифрах",
        "Между обещаниями и практикой",
        "«Исторический» шанс или очередная пауза?",
    ),
    "hy": (
        "Փաշինյանը կրկին խուսափում է",
        "Փորձագետների կարծիքները Caliber.Az-ում",
        "Տարածաշրջանի նոր լոգիստիկան թվերով",
        "Խոստումների և պրակտիկայի միջև",
    ),
}

AUTHORS: dict[str, tuple[str, ...]] = {
    "en": (
        "Samir Ibrahimov", "Aliya Hasanova", "Ramil Mammadli", "Leyla Aliyeva", "Orkhan Jafarov",
    ),
    "ru": ("Самир Ибрагимов", "Алия Гасанова", "Рамиль Мамедли", "Лейла Алиева", "Орхан Джафаров"),
    "hy": ("Սամիր Իբրահիմով", "Ալիյա Հասանովա", "Ռամիլ Մամեդլի"),
}

SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "The opening of the Middle Corridor to year-round container traffic has changed the "
        "arithmetic of Caspian transit faster than most forecasts expected.",
        "According to the port authority, cargo handled at Alat grew by a fifth in the first "
        "nine months.",
        "The average transit time from the Chinese border to the Black Sea fell to under 18 days.",
        "The growth, however, rests on a handful of operators and on ferry capacity that has "
        "barely changed since 2022.",
        "A single breakdown of a rail ferry still delays dozens of containers by a week.",
        '"Capacity, not demand, is now the bottleneck," a logistics analyst told Caliber.Az.',
        "Whether the corridor keeps its momentum will depend on the new vessels promised for "
        "2027 & on tariffs agreed along the route.",
        "Yerevan's official rhetoric has shifted noticeably over the past year.",
        "Diplomats in Brussels describe the process as slow but irreversible.",
        "The opposition, meanwhile, accuses the government of trading principles for ratings.",
        "Observers note that the draft leaves the most sensitive questions for later.",
        "The next round of consultations is expected before the end of the year.",
        "Few in the region believe the deadline will hold.",
        "Energy exports remain the backbone of the budget, and the figures show it.",
        "Tbilisi, too, has reasons to watch the talks closely.",
        "Analysts point to three conditions that would make the agreement durable.",
        "The statement, published late on Friday, was notably short on detail.",
        "It is the third such meeting since the spring, and the first held in Baku.",
        "Critics call the plan ambitious; its authors call it overdue.",
        "Much depends on who sits at the table in Washington next year.",
        "The numbers tell a more sober story than the speeches.",
        "Investors, for their part, have already made up their minds.",
    ),
    "ru": (
        "В Баку завершился очередной раунд консультаций по проекту мирного договора.",
        "Стороны согласовали большую часть статей документа.",
        "Открытыми остаются вопросы делимитации и транспортных коммуникаций.",
        "Следующий раунд может пройти уже в июле — если график не сорвут внешние игроки.",
        "Эксперты выделяют три условия успеха.",
        "Риторика официального Еревана за последний год заметно изменилась.",
        "Дипломаты в Брюсселе описывают процесс как медленный, но необратимый.",
        "Оппозиция тем временем обвиняет власти в торговле принципами ради рейтингов.",
        "Наблюдатели отмечают, что самые чувствительные вопросы отложены на потом.",
        "Мало кто в регионе верит, что сроки будут соблюдены.",
        "Экспорт энергоносителей остается основой бюджета, и цифры это подтверждают.",
        "Тбилиси также есть причины внимательно следить за переговорами.",
        "Заявление, опубликованное поздно вечером в пятницу, было подчеркнуто лаконичным.",
        "Это уже третья подобная встреча с весны и первая, прошедшая в Баку.",
        "Критики называют план амбициозным, его авторы — давно назревшим.",
        "Цифры рассказывают куда более трезвую историю, чем речи.",
        "«Пропускная способность, а не спрос, стала узким местом», — отметил аналитик.",
        "Инвесторы, со своей стороны, уже сделали выводы.",
        'Так называемая "третья сила" пока предпочитает держаться в тени.',
        "Грузооборот порта Алят за девять месяцев вырос на пятую часть.",
    ),
    "hy": (
        "Հայաստանի և Ադրբեջանի միջև խաղաղության պայմանագրի նախագիծը կրկին քննարկման առարկա "
        "է դարձել։",
        "Փորձագետների կարծիքով՝ բանակցությունների հաջողությունը կախված է սահմանազատման "
        "գործընթացից։",
        "Հաջորդ հանդիպումը նախատեսված է տարեվերջին։",
        "Պաշտոնական Երևանի հռետորաբանությունը վերջին տարում նկատելիորեն փոխվել է։",
        "Բրյուսելի դիվանագետները գործընթացը նկարագրում են որպես դանդաղ, բայց անշրջելի։",
        "Ընդդիմությունը մեղադրում է իշխանություններին սկզբունքներից հրաժարվելու մեջ։",
        "Դիտորդները նշում են, որ ամենազգայուն հարցերը հետաձգվել են։",
        "Տարածաշրջանում քչերն են հավատում, որ ժամկետները կպահպանվեն։",
        "Էներգակիրների արտահանումը մնում է բյուջեի հիմքը։",
        "Թբիլիսին նույնպես պատճառներ ունի ուշադիր հետևելու բանակցություններին։",
        "Սա գարնանից ի վեր երրորդ նման հանդիպումն է։",
        "Քննադատները ծրագիրը համարում են հավակնոտ, իսկ հեղինակները՝ վաղուց հասունացած։",
        "Թվերն ավելի սթափ պատմություն են պատմում, քան ելույթները։",
        "«Թողունակությունը, այլ ոչ թե պահանջարկը, դարձել է խոչընդոտ»,- նշել է վերլուծաբանը։",
        "Ներդրողներն իրենց հերթին արդեն հետևություններ են արել։",
    ),
}

SUBHEADS: dict[str, tuple[str, ...]] = {
    "en": ("What the numbers hide", "The view from Yerevan", "Three scenarios", "What next?"),
    "ru": ("Что скрывают цифры", "Взгляд из Еревана", "Три сценария", "Что дальше?"),
    "hy": ("Ինչ են թաքցնում թվերը", "Հայացք Երևանից", "Երեք սցենար"),
}

LIST_ITEMS: dict[str, tuple[str, ...]] = {
    "en": (
        "renunciation of territorial claims in the constitution;",
        "opening of communications without intermediaries;",
        "security guarantees on the border.",
        "new ferries on the Caspian;",
        "a single customs regime along the route.",
    ),
    "ru": (
        "отказ от территориальных претензий в конституции;",
        "открытие коммуникаций без посредников;",
        "гарантии безопасности на границе.",
        "новые паромы на Каспии;",
        "единый таможенный режим на маршруте.",
    ),
    "hy": (
        "տարածքային պահանջներից հրաժարում սահմանադրությունում.",
        "հաղորդակցությունների բացում առանց միջնորդների.",
        "անվտանգության երաշխիքներ սահմանին։",
    ),
}

_LATIN = "a b v g d e yo zh z i j k l m n o p r s t u f h c ch sh shh - y - e yu ya"
RU_TRANSLIT: dict[str, str] = {
    cyr: ("" if lat == "-" else lat)
    for cyr, lat in zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN.split(" "), strict=True)
}
