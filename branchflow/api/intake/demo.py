"""A realistic demo district (珠海市斗门区) so that a new user sees full boards: `branchflow demo`.

`plan_demo` draws, from a seed alone, hundreds of organizations at every stage of the formation path, with
members of realistic ages, education and gender and business dates in the past; `load_demo` sends the plan
through the same `Commands` as the ledger import. Every command carries a `command_id` derived from the
plan, so loading the same plan again changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from branchflow.api.intake.targets import BATCH_SIZE, BatchCommands, Commands, Progress
from branchflow.domain.actions import FIVE_GOODS, TEN_HAVES, Step, parse_action
from branchflow.domain.calendar import add_months
from branchflow.domain.errors import AlreadyRegistered, DomainError
from branchflow.domain.organization import organization_id
from branchflow.domain.registration import Registration
from branchflow.domain.rules import PartyOrgType
from branchflow.domain.values import CREDIT_CODE_CHARSET, make_credit_code

DEMO_NAMESPACE = UUID("a4d3f1c2-5b6e-4f70-8a9b-0c1d2e3f4a5b")
DISTRICT = ("440403", "斗门区")  # 珠海市斗门区
# Street codes are the demo's own (statistical codes are assigned by each province); names are real.
STREETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("白藤街道", ("白藤一村社区", "白藤二村社区", "白藤三村社区", "白藤四村社区")),
    ("井岸镇", ("西埔社区", "新青社区", "城南社区", "尖峰社区", "霞山社区")),
    ("白蕉镇", ("新沙社区", "白蕉社区", "盖山村", "成裕村")),
    ("斗门镇", ("斗门村", "小濠涌村", "大濠涌村", "八甲村")),
    ("乾务镇", ("乾务村", "马山村", "虎山村", "荔山村")),
    ("莲洲镇", ("莲江村", "东湾村", "石龙村", "粉洲村")),
)


def demo_region_names() -> list[tuple[str, str]]:
    """The demo's streets and communities with their names, for the names' table (`branchflow demo` saves
    them): the district's own name ships with branchflow."""
    names = []
    for s, (street, communities) in enumerate(STREETS, start=1):
        names.append((f"{DISTRICT[0]}{s:03d}", street))
        names += [(f"{DISTRICT[0]}{s:03d}{c:03d}", community) for c, community in enumerate(communities, start=1)]
    return names


def street_committee_code(street: int) -> str:
    return f"DM-{street:03d}"


def demo_committees() -> list[tuple[str, str, str]]:
    """(code, name, street) of the demo streets' territorial committees, each case's responsible committee."""
    return [(street_committee_code(s), f"中共{DISTRICT[1]}{street}委员会", f"{DISTRICT[0]}{s:03d}")
            for s, (street, _) in enumerate(STREETS, start=1)]


# The intended outcome of each case, with its share of the district (joint groups and general branches aside).
PROFILES: dict[str, float] = {
    "no_members": 0.25, "developing": 0.14, "members_only": 0.05, "affiliated": 0.08, "dispatched": 0.08,
    "temporary": 0.07, "standalone": 0.19, "awaiting_approval": 0.02, "joint": 0.10, "closed": 0.02,
}
GENERAL_BRANCHES = 3  # two over 50 members (the default type), one smaller, approved as an exception
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕沈卢钟谭陆范廖"
GIVEN = {"male": "伟强军勇杰涛明超辉刚健斌波宏志鹏华平俊峰浩海文龙国建",
         "female": "芳娜敏静丽艳娟霞燕玲婷慧红琳雪梅英兰洁颖"}
JOINT_INDUSTRIES = {"C": "制造", "F": "商贸", "H": "餐饮"}  # where small firms cluster
BRAND = "华盛鑫宏达泰隆恒源兴昌荣腾越嘉信海湾粤珠金利丰永新创瑞德安"
ECONOMIC: dict[str, tuple[float, tuple[str, ...]]] = {  # industry: (share, trade words)
    "C": (0.35, ("电子", "五金制品", "塑胶", "机械", "食品", "家具", "电器", "新材料")),
    "F": (0.18, ("商贸", "贸易", "建材", "百货")), "E": (0.08, ("建筑工程", "装饰工程")),
    "G": (0.07, ("物流", "运输")), "H": (0.08, ("餐饮管理", "酒店")), "I": (0.05, ("网络科技", "信息技术")),
    "K": (0.04, ("房地产开发", "物业管理")), "L": (0.05, ("企业管理咨询", "人力资源")),
    "A": (0.06, ("水产养殖", "海鲈养殖", "农业发展")), "O": (0.04, ("家政服务", "汽车维修")),
}
SOCIAL: dict[str, tuple[float, tuple[str, ...]]] = {  # industry: (share, kinds of organization)
    "S": (0.42, ("商会", "行业协会", "志愿者协会", "社会工作服务中心", "慈善会", "教育基金会")),
    "P": (0.17, ("培训学校", "幼儿园")), "Q": (0.13, ("养老院", "康复中心")), "R": (0.13, ("龙舟协会", "书画协会")),
    "L": (0.1, ("律师事务所", "会计师事务所", "税务师事务所")), "M": (0.05, ("科技学会", "水产学会")),
}
# The subtype a social organization's kind names (domain.md's table rows); economic ones by registration below.
SOCIAL_SUBTYPES = {
    "商会": "trade_association", "行业协会": "trade_association", "志愿者协会": "social_association",
    "社会工作服务中心": "private_non_enterprise", "慈善会": "social_association", "教育基金会": "foundation",
    "培训学校": "private_non_enterprise", "幼儿园": "private_non_enterprise", "养老院": "private_non_enterprise",
    "康复中心": "private_non_enterprise", "龙舟协会": "social_association", "书画协会": "social_association",
    "律师事务所": "intermediary", "会计师事务所": "intermediary", "税务师事务所": "intermediary",
    "科技学会": "learned_society", "水产学会": "learned_society",
}
FOREIGN_INVESTED = ("C", "I")  # in these industries one registered enterprise in eight (by name) is foreign-invested
EDUCATION = {"primary_or_less": 12, "junior_middle": 30, "senior_middle": 25, "junior_college": 15,
             "bachelor": 15, "postgraduate": 3}


@dataclass
class PlannedCase:
    registration: Registration
    org_id: UUID
    profile: str
    steps: list[Step] = field(default_factory=list)  # before the joint branches are formed
    later_steps: list[Step] = field(default_factory=list)  # after


@dataclass(frozen=True)
class PlannedJointBranch:
    name: str
    org_ids: list[UUID]
    party_org_type: PartyOrgType
    reason: str
    occurred_on: date
    command_id: str


@dataclass
class DemoPlan:
    cases: list[PlannedCase]
    joint_branches: list[PlannedJointBranch]

    @property
    def commands(self) -> int:
        return len(self.cases) + len(self.joint_branches) + sum(len(c.steps) + len(c.later_steps) for c in self.cases)


@dataclass
class DemoSummary:
    registered: int = 0
    already_there: int = 0
    steps: int = 0
    repeated: int = 0  # steps whose command_id had been applied before
    joint_branches: int = 0
    errors: list[str] = field(default_factory=list)  # commands refused: none on a fresh store

    def __str__(self) -> str:
        return (f"demo: {self.registered} organizations registered ({self.already_there} already there), "
                f"{self.steps} steps ({self.repeated} repeated), {self.joint_branches} joint branches, "
                f"{len(self.errors)} refused")


class _Case:
    """One case being planned: its timeline, its people, its steps."""

    def __init__(self, plan: _Planner, profile: str, start: date, registration: dict[str, Any]) -> None:
        self.plan, self.profile, self.day, self.people = plan, profile, start, 0
        self.reg = Registration.model_validate({**registration, "occurred_on": start}, context={"today": plan.today})
        self.org_id = organization_id(self.reg.credit_code, self.reg.region_code, self.reg.name)
        self.steps: list[Step] = []
        self.later: list[Step] = []
        self.formal: list[str] = []  # ids of the transferred-in formal members
        self.formal_names: list[str] = []

    def wait(self, low: int, high: int | None = None) -> None:
        self.day = min(self.plan.today, self.day + timedelta(days=self.plan.rng.randint(low, high or low)))

    def act(self, action: str, *, later: bool = False, **body: Any) -> None:
        command_id = str(uuid5(DEMO_NAMESPACE, f"{self.org_id}/{len(self.steps) + len(self.later)}"))
        step = parse_action({"action": action, "occurred_on": self.day, "command_id": command_id, **body},
                            self.plan.today)
        (self.later if later else self.steps).append(step)

    def add_members(self, n: int, *, transferred: float = 1.0, status: str = "formal") -> None:
        for _ in range(n):
            relation, person = self.plan.rng.random() < transferred, self.plan.person()
            self.act("add_member", **person, status=status, relation_transferred=relation)
            self.people += 1
            if status == "formal" and relation:
                self.formal.append(f"P{self.people}")
                self.formal_names.append(person["name"])

    def develop(self, *, to_member: bool) -> None:
        """An applicant along the path: activist, development target, and (under a formal branch) admitted."""
        rng = self.plan.rng
        self.act("record_applicant", **self.plan.person(young=True, on=self.day))
        self.people += 1
        person, today = f"P{self.people}", self.plan.today
        if not to_member and rng.random() < 0.3:
            return
        self.wait(20, 40)
        self.act("designate_activist", person_id=person)
        eligible = add_months(self.day, 12)  # a year of cultivation before becoming a development target
        if (not to_member and rng.random() < 0.4) or add_months(self.day, 7) > today:
            return
        self.wait(180)
        self.act("review_activist", person_id=person)
        if not to_member or add_months(eligible, 5) > today:
            return
        self.day = eligible
        self.act("confirm_development_target", person_id=person)
        self.wait(40, 70)
        self.act("admit_probationary", person_id=person, introducer_ids=self.formal[:2])
        self.wait(20, 60)
        self.act("approve_probationary", person_id=person)
        if add_months(self.day, 13) <= self.plan.today:
            self.wait(390)
            self.act("convert_to_formal", person_id=person)

    def formal_branch(self, name: str, party_org_type: str | None = None, reason: str = "") -> None:
        self.wait(10, 60)
        self.act("request_formal_branch", name=name)
        self.wait(15, 30)
        self.act("approve_formal_branch", party_org_type=party_org_type,
                 reason=reason or "经审核，符合单独组建条件，同意成立")

    def done(self) -> PlannedCase:
        return PlannedCase(self.reg, self.org_id, self.profile, self.steps, self.later)


class _Planner:
    def __init__(self, today: date, seed: int) -> None:
        self.today, self.rng = today, random.Random(seed)
        self.names: set[str] = set()

    def person(self, *, young: bool = False, on: date | None = None) -> dict[str, Any]:
        """A member, or with `young` an applicant of 22 to 38 on the day `on`."""
        rng = self.rng
        gender = "female" if rng.random() < (0.35 if young else 0.22) else "male"
        age = rng.randint(22, 38) if young else rng.randint(61, 82) if rng.random() < 0.22 else rng.randint(24, 60)
        born = (on or self.today) - timedelta(days=age * 365 + rng.randint(30, 330))
        education = rng.choices(list(EDUCATION), weights=list(EDUCATION.values()))[0]
        if young and education in {"primary_or_less", "junior_middle"}:
            education = "senior_middle"
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN[gender], k=rng.choice((1, 2, 2))))
        return {"name": name, "gender": gender, "birth_date": born, "education": education}

    def case(self, profile: str, *, street: int | None = None, industry: str | None = None, social: bool | None = None,
             registered: bool = True, employees: tuple[int, int] | None = None, span_days: int = 400) -> _Case:
        rng = self.rng
        street = rng.randrange(len(STREETS)) if street is None else street
        street_name, communities = STREETS[street]
        community = rng.randrange(len(communities))
        social = rng.random() < 0.22 if social is None else social
        table = SOCIAL if social else ECONOMIC
        industry = industry or rng.choices(list(table), weights=[s for s, _ in table.values()])[0]
        trade = rng.choice(table[industry][1])
        name = ""
        while not name or name in self.names:
            brand = "".join(rng.sample(BRAND, 2))
            suffix = ("" if social else "有限公司") if registered else ("" if social else "店")
            name = f"{DISTRICT[1]}{street_name}{brand}{trade}{suffix}"
        self.names.add(name)
        code = None
        if registered:
            head = ("5" + rng.choice("123")) if social else ("9" + rng.choice("1112"))
            code = make_credit_code(head + DISTRICT[0] + "".join(rng.choices(CREDIT_CODE_CHARSET, k=9)))
        low, high = employees or rng.choices([(3, 30), (31, 50), (51, 100), (101, 300), (301, 1200)],
                                             weights=[45, 25, 15, 12, 3])[0]
        headcount = rng.randint(low, high)
        above = not social and rng.random() < (0.8 if headcount > 100 else 0.35 if headcount > 50 else 0.05)
        start = self.today - timedelta(days=rng.randint(span_days + 30, span_days + 700))
        founded = start - timedelta(days=rng.randint(0, 20 * 365))
        if rng.random() < 0.06 and span_days < 120:  # founded this year: the year-end deadline runs
            founded = start = self.today - timedelta(days=rng.randint(0, self.today.timetuple().tm_yday - 1))
        region = f"{DISTRICT[0]}{street + 1:03d}{community + 1:03d}"
        if social:
            subtype = SOCIAL_SUBTYPES[trade]
        elif not registered:
            subtype = "individual"  # an unregistered shop (店) is individually owned
        else:  # by the name, not the generator: the other draws stay as they were
            subtype = "foreign_invested" if industry in FOREIGN_INVESTED and sum(map(ord, name)) % 8 == 0 else (
                "other" if sum(map(ord, name)) % 29 == 0 else "private")
        return _Case(self, profile, start, {
            "name": name, "credit_code": code, "kind": "social" if social else "economic", "subtype": subtype,
            "registered": registered,
            "region_code": region, "industry": industry, "employees": headcount, "above_scale": above,
            "founded_on": founded, "superior_party_org": f"中共{DISTRICT[1]}{street_name}委员会",
            "responsible_committee": street_committee_code(street + 1),
        })


def plan_demo(today: date, size: int = 400, seed: int = 1) -> DemoPlan:
    """A district of about `size` organizations at every stage, the same for the same seed and day."""
    p = _Planner(today, seed)
    rng = p.rng
    cases: list[_Case] = []
    joints: list[PlannedJointBranch] = []
    counts = {profile: round(share * size) for profile, share in PROFILES.items()}
    joint_target = counts.pop("joint")
    for profile, n in counts.items():
        for _ in range(n):
            cases.append(_plan_profile(p, profile))
    for i in range(GENERAL_BRANCHES):
        c = p.case("standalone", social=False, employees=(300, 900), span_days=200)
        c.add_members(rng.randint(52, 58) if i < 2 else rng.randint(22, 30))
        c.formal_branch(f"{c.reg.name}党总支", None if i < 2 else "general_branch",
                        "" if i < 2 else "党员分布在多个车间，设党总支下设支部")
        c.wait(20, 40)
        c.act("elect_branch_committee", secretary=c.formal_names[0], committee=c.formal_names[:5])
        cases.append(c)
    while joint_target > 0:
        street, industry = rng.randrange(len(STREETS)), rng.choice("CCFH")  # manufacturing twice as likely
        group = [p.case("joint", street=street, industry=industry, social=False, employees=(10, 80))
                 for _ in range(max(2, min(joint_target, rng.randint(2, 4))))]
        joint_target -= len(group)
        for c in group:
            c.add_members(1 if len(group) > 2 else 2)
            c.wait(10, 40)
        day = min(today, max(c.day for c in group) + timedelta(days=rng.randint(10, 60)))
        street_name = STREETS[street][0]
        name = f"{DISTRICT[1]}{street_name}{JOINT_INDUSTRIES[industry]}企业联合党支部{len(joints) + 1}"
        ids = [c.org_id for c in group]
        joints.append(PlannedJointBranch(name, ids, PartyOrgType.BRANCH, "同一街道、行业相近，各自党员不足3名",
                                         day, str(uuid5(DEMO_NAMESPACE, f"joint/{sorted(map(str, ids))}"))))
        for c in group:
            c.day = day
            if rng.random() < 0.4:
                c.wait(60, 200)
                c.act("rate_five_goods", later=True, **_checks(rng, FIVE_GOODS, 0.8))
        cases += group
    return DemoPlan([c.done() for c in cases], joints)


def _plan_profile(p: _Planner, profile: str) -> _Case:
    rng = p.rng
    if profile == "no_members":
        c = p.case(profile, registered=rng.random() > 0.08, span_days=60)
        if rng.random() < 0.1:
            c.wait(30, 200)
            c.act("report_headcount", employees=c.reg.employees + rng.randint(-5, 40), above_scale=c.reg.above_scale)
    elif profile == "developing":
        c = p.case(profile, span_days=300)
        if rng.random() < 0.25:
            c.add_members(1, transferred=0.3)
        for _ in range(rng.randint(1, 3)):
            c.wait(10, 60)
            c.develop(to_member=False)
    elif profile in ("members_only", "affiliated", "closed"):
        c = p.case(profile, span_days=200, employees=(3, 50) if profile != "members_only" else None)
        c.add_members(rng.randint(1, 2), transferred=0.6)
        c.wait(20, 90)
        if profile == "affiliated":
            street, communities = STREETS[int(c.reg.region_code[6:9]) - 1]
            c.act("affiliate", party_org_name=f"中共{street}{communities[int(c.reg.region_code[9:]) - 1]}委员会")
        elif profile == "closed":
            c.wait(60, 150)
            c.act("close_case", reason="企业注销" if c.reg.kind == "economic" else "社会组织注销登记")
    elif profile == "dispatched":
        c = p.case(profile, employees=(20, 200), span_days=200)
        c.wait(10, 60)
        c.act("assign_instructor", name=p.person()["name"])
        if rng.random() < 0.4:
            c.wait(30, 120)
            c.develop(to_member=False)
    elif profile == "temporary":
        registered = rng.random() < 0.4  # unregistered, or registered with relations not transferred in
        c = p.case(profile, registered=registered, span_days=300)
        c.add_members(rng.randint(3, 5), transferred=0.0 if registered else 0.5)
        c.wait(20, 60)
        c.act("establish_temporary_branch", name=f"{c.reg.name}临时党支部")
        if rng.random() < 0.4:
            c.wait(30, 90)
            c.develop(to_member=False)
        if rng.random() < 0.3:
            c.wait(30, 90)
            c.act("check_ten_haves", **_checks(rng, TEN_HAVES, 0.8))
    else:  # standalone, awaiting_approval
        develops = profile == "standalone" and rng.random() < 0.25
        c = p.case(profile, employees=(30, 600), span_days=1500 if develops else 300)
        c.add_members(rng.randint(3, 10))
        c.add_members(rng.choice((0, 0, 1, 2)), transferred=0.0)
        c.add_members(rng.choice((0, 0, 1)), status="probationary")
        if profile == "awaiting_approval":
            c.wait(10, 60)
            c.act("request_formal_branch", name=f"{c.reg.name}党支部")
            return c
        c.formal_branch(f"{c.reg.name}党支部")
        _standardize(c)
        if develops:
            c.wait(30, 90)
            c.develop(to_member=True)
    return c


def _standardize(c: _Case) -> None:
    rng = c.plan.rng
    c.wait(15, 45)
    committee = rng.sample(c.formal_names, min(len(c.formal_names), rng.randint(3, 5)))
    c.act("elect_branch_committee", secretary=committee[0], committee=committee if len(c.formal) >= 7 else [])
    if rng.random() < 0.5:
        c.wait(20, 90)
        c.act("form_youth_league")
    if rng.random() < 0.4:
        c.wait(60, 200)
        c.act("rate_five_goods", **_checks(rng, FIVE_GOODS, 0.85))
    if rng.random() < 0.4:
        c.wait(20, 90)
        c.act("check_ten_haves", **_checks(rng, TEN_HAVES, 0.8))


def _checks(rng: random.Random, keys: Sequence[str], share: float) -> dict[str, bool]:
    return {k: rng.random() < share for k in keys}


def load_demo(
    commands: Commands, today: date, size: int = 400, seed: int = 1, progress: Progress | None = None,
    every: int = 50,
) -> DemoSummary:
    """Registers the plan's cases with their steps, forms the joint branches, then takes the later steps."""
    plan = plan_demo(today, size, seed)
    summary, total, done = DemoSummary(), plan.commands, [0]

    def tick(n: int = 1) -> None:
        before, done[0] = done[0], done[0] + n
        if progress is not None and (done[0] // every > before // every or done[0] == total):
            progress(done[0], total)

    pending = [] if isinstance(commands, BatchCommands) else plan.cases  # cases to register one by one
    for start in range(0, len(plan.cases), BATCH_SIZE):
        if not isinstance(commands, BatchCommands):
            break
        batch = plan.cases[start:start + BATCH_SIZE]
        for case, result in zip(batch, commands.register_batch([(c.registration, c.steps) for c in batch]),
                                strict=True):
            if result is None:  # registered before
                pending.append(case)
                continue
            summary.registered += 1
            summary.steps += sum(e is None for e in result)
            summary.errors += [f"{case.registration.name}: {e}" for e in result if e is not None]
            tick(1 + len(result))
    for case in pending:
        try:
            commands.register(case.registration)
            summary.registered += 1
        except AlreadyRegistered:
            summary.already_there += 1
        tick()
        _steps(commands, case, case.steps, summary, tick)
    for joint in plan.joint_branches:
        try:
            commands.form_joint_branch(joint.name, joint.org_ids, joint.party_org_type, joint.reason,
                                       occurred_on=joint.occurred_on, command_id=joint.command_id)
            summary.joint_branches += 1
        except DomainError as error:
            summary.errors.append(f"{joint.name}: {error}")
        tick()
    for case in plan.cases:
        _steps(commands, case, case.later_steps, summary, tick)
    return summary


def _steps(commands: Commands, case: PlannedCase, steps: Sequence[Step], summary: DemoSummary,
           tick: Callable[[int], None]) -> None:
    for step in steps:
        try:
            if commands.step(case.org_id, step) is False:
                summary.repeated += 1
            else:
                summary.steps += 1
        except DomainError as error:
            summary.errors.append(f"{case.registration.name}: {error}")
        tick(1)
