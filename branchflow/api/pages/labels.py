"""The Chinese words the pages show for the API's English names: stages, actions, events, fields, rules.

A name without a label here is shown as it is, so a new action or event still appears (in English) until it
gets its words.
"""

from __future__ import annotations

from typing import Final

from branchflow.domain.values import EDUCATION_LABELS, INDUSTRY_NAMES, SUBTYPE_LABELS

STAGES: Final = {
    "NO_MEMBERS": "无党员", "DEVELOPING_MEMBERS": "发展党员", "TEMPORARY_BRANCH": "临时党支部",
    "FORMAL_BRANCH": "正式党组织", "CLOSED": "已关闭",
}
PATH: Final = ("NO_MEMBERS", "DEVELOPING_MEMBERS", "TEMPORARY_BRANCH", "FORMAL_BRANCH")
METHODS: Final = {
    "standalone": "单独组建", "joint": "联合组建", "affiliated": "挂靠组建", "temporary": "临时组建",
    "dispatched": "派驻组建",
}
PARTY_ORG_TYPES: Final = {"branch": "党支部", "general_branch": "党总支", "committee": "基层党委"}
KINDS: Final = {"economic": "新经济组织", "social": "新社会组织"}
SUBTYPES: Final = {subtype.value: text for subtype, text in SUBTYPE_LABELS.items()}
GENDERS: Final = {"male": "男", "female": "女"}
MEMBER_STATUSES: Final = {"formal": "正式党员", "probationary": "预备党员"}
DEVELOPMENT_STAGES: Final = {
    "applicant": "入党申请人", "activist": "入党积极分子", "development_target": "发展对象",
    "awaiting_approval": "待上级审批",
}
# The development funnel's stages (domain.funnel): the development stages, then the new members developed here.
FUNNEL_STAGES: Final = {**DEVELOPMENT_STAGES, "probationary": "新发展预备党员", "formal": "已转为正式党员"}
FOCUS_GROUPS: Final = {
    "union_leader": "工会负责人", "youth_league_leader": "共青团负责人", "womens_federation_leader": "妇联负责人",
    "middle_manager": "中层管理人员", "technical_backbone": "技术骨干", "other": "其他",
    "untagged": "未标注",
}
ROLES: Final = {"organizer": "组织员", "supervisor": "组织部门", "admin": "管理员"}
AGE_BANDS: Final = {"under_35": "35岁以下", "35_to_45": "35–45岁", "46_to_60": "46–60岁", "over_60": "60岁以上"}
ORGANIZATION_TYPES: Final = {
    "committee": "基层党委", "general_branch": "党总支", "branch": "党支部", "temporary": "临时党支部",
    "joint": "联合党支部",
}
REGION_LEVELS: Final = {2: "省", 4: "市", 6: "区县", 9: "街道（乡镇）", 12: "社区（村）"}
EDUCATIONS: Final = {level.value: text for level, text in EDUCATION_LABELS.items()}
INDUSTRIES: Final[dict[str, str]] = {str(k): v for k, v in INDUSTRY_NAMES.items()}

ACTIONS: Final = {
    "report_headcount": "报告职工人数", "add_member": "添加党员", "transfer_in": "转入组织关系",
    "transfer_out": "转出组织关系", "record_applicant": "登记入党申请人", "talk_to_applicant": "与申请人谈话",
    "designate_activist": "确定入党积极分子", "review_activist": "考察积极分子（半年）",
    "confirm_development_target": "确定发展对象", "admit_probationary": "支部大会接收预备党员",
    "approve_probationary": "审批预备党员", "convert_to_formal": "预备党员转正", "extend_probation": "延长预备期",
    "cancel_probation": "取消预备党员资格", "withdraw_candidate": "退出发展", "assign_instructor": "选派党建工作指导员",
    "withdraw_instructor": "撤回党建工作指导员", "affiliate": "挂靠党组织", "end_affiliation": "结束挂靠",
    "establish_temporary_branch": "成立临时党支部", "request_formal_branch": "申请成立正式党组织",
    "approve_formal_branch": "批准成立正式党组织", "reject_formal_branch": "不批准成立正式党组织",
    "leave_joint_branch": "退出联合党支部", "dissolve_branch": "撤销党支部", "elect_branch_committee": "选举支部委员会",
    "form_youth_league": "建立共青团组织", "rate_five_goods": "“五个好”评定", "check_ten_haves": "“十个有”检查",
    "correct_facts": "更正登记信息", "correct_member": "更正党员信息",
    "correct_candidate": "更正入党申请人（积极分子、发展对象）信息", "close_case": "关闭案件（注销或解散）",
    "change_responsible_committee": "变更隶属党组织（负责的党委）", "reopen_case": "重新开启案件（更正错误的关闭）",
    "request_transfer_in": "申请转入组织关系", "transfer_abandoned": "放弃组织关系转接",
    "file_election_result": "选举结果备案", "form_union": "建立工会组织",
    "tag_focus_group": "标注重点群体", "assign_cultivation_contacts": "指定培养联系人",
    "change_cultivation_contacts": "更换培养联系人", "record_political_review": "记录政治审查",
    "record_training": "记录集中培训", "record_departure": "登记将离开本单位",
    "allow_admission_despite_departure": "特批接收（三个月内离开）",
}
# Steps that cannot be undone by another step ask the person to confirm first.
CONFIRM_ACTIONS: Final = frozenset({"close_case", "dissolve_branch", "cancel_probation", "reject_formal_branch"})

EVENTS: Final = {
    "Registered": "登记组织", "HeadcountReported": "报告职工人数", "FactsCorrected": "更正登记信息",
    "MemberCorrected": "更正党员信息", "CandidateCorrected": "更正入党申请人信息",
    "MemberAdded": "添加党员", "MemberTransferredIn": "转入组织关系",
    "MemberTransferredOut": "转出组织关系", "InstructorAssigned": "选派指导员", "InstructorWithdrawn": "撤回指导员",
    "Affiliated": "挂靠党组织", "AffiliationEnded": "结束挂靠", "TemporaryBranchEstablished": "成立临时党支部",
    "FormalBranchRequested": "申请成立正式党组织", "FormalBranchApproved": "批准成立正式党组织",
    "FormalBranchRejected": "不批准成立正式党组织", "JointBranchJoined": "加入联合党支部",
    "JointBranchLeft": "退出联合党支部", "BranchDissolved": "撤销党支部", "BranchCommitteeElected": "选举支部委员会",
    "YouthLeagueFormed": "建立共青团组织", "FiveGoodsRated": "“五个好”评定", "TenHavesChecked": "“十个有”检查",
    "DeadlineEscalated": "期限已过（逾期）", "CaseClosed": "关闭案件", "ApplicantRecorded": "登记入党申请人",
    "ApplicantTalkedTo": "与申请人谈话", "ActivistDesignated": "确定入党积极分子", "ActivistReviewed": "考察积极分子",
    "DevelopmentTargetConfirmed": "确定发展对象", "ProbationaryAdmitted": "接收预备党员",
    "ProbationaryApproved": "审批预备党员", "ConvertedToFormal": "预备党员转正", "ProbationExtended": "延长预备期",
    "ProbationCancelled": "取消预备党员资格", "CandidateWithdrawn": "退出发展",
    "ResponsibleCommitteeChanged": "变更负责的党委",
    "TransferRequested": "申请转入组织关系", "TransferAbandoned": "放弃组织关系转接",
    "ElectionResultFiled": "选举结果备案", "DeadlineReminded": "到期提醒",
    "UnionFormed": "建立工会组织", "JointBranchRecounted": "联合党支部重新核定正式党员",
    "JointBranchElectionShared": "联合党支部换届选举同步", "CaseReopened": "重新开启案件",
    "FocusGroupTagged": "标注重点群体", "CultivationContactsAssigned": "指定培养联系人",
    "CultivationContactsChanged": "更换培养联系人", "PoliticalReviewRecorded": "政治审查",
    "TrainingRecorded": "集中培训", "DepartureRecorded": "登记将离开本单位",
    "AdmissionDespiteDepartureAllowed": "特批接收（三个月内离开）",
}

FIELDS: Final = {
    "name": "名称", "credit_code": "统一社会信用代码", "kind": "组织类别", "subtype": "单位性质",
    "registered": "已登记注册",
    "region_code": "地区代码", "industry": "行业", "employees": "职工人数", "above_scale": "规模以上",
    "founded_on": "成立日期", "superior_party_org": "隶属上级党组织", "owner_is_member": "业主是党员",
    "gender": "性别", "birth_date": "出生日期", "education": "学历", "status": "党员身份", "id_number": "公民身份号码",
    "relation_transferred": "组织关系已转入", "member_id": "党员", "person_id": "人员", "introducer_ids": "入党介绍人",
    "party_org_name": "挂靠的党组织名称", "party_org_type": "党组织类型", "months": "延长月数",
    "secretary": "书记", "deputy_secretary": "副书记", "committee": "委员（用逗号或顿号分隔）",
    "focus_group": "重点群体", "contact_ids": "培养联系人（一至两名正式党员）", "result": "审查结果",
    "passed": "政审合格",
    "started_on": "培训开始日期", "ended_on": "培训结束日期", "class_hours": "培训学时", "leaves_on": "预计离开日期",
    "corrects": "更正第几条记录（记录序号）", "changes": "更正内容", "reason": "理由", "occurred_on": "发生日期",
    "leadership_team": "领导班子好", "member_team": "党员队伍好", "working_mechanism": "工作机制好",
    "development_results": "发展业绩好", "mass_reputation": "群众反映好", "plaque": "有牌子",
    "office_facilities": "有办公设施", "activity_room": "有活动室", "e_education_equipment": "有电教设备",
    "working_rules": "有工作制度", "archives": "有档案资料（三会一课记录）", "party_flag": "有党旗",
    "leader_portraits": "有领袖像", "notice_board": "有党务公开栏", "official_seal": "有印章",
    "ratings": "评定", "checks": "检查", "rule": "事项", "subject": "人员", "due_on": "期限",
    "organization_ids": "组织", "joint_branch_id": "联合党支部", "action": "操作",
    "responsible_committee": "负责的党委（代码）",
    "from_organization": "组织关系所在单位",
}
# The report pages' query parameters, by their forms' labels (a 422 names the field as the page shows it).
QUERY_FIELDS: Final = {"as_of": "截至日期", "compare": "对比日期", "since": "起始日期（自）", "until": "终止日期（至）"}
# Names that name a person here, and which the timeline shows by the person's name.
PERSON_FIELDS: Final = frozenset({"person_id", "member_id", "subject"})

OBLIGATIONS: Final = {
    "standalone_branch_required": "有3名以上正式党员，应单独建立党组织",
    "members_need_party_organization": "有党员，应建立党组织",
    "develop_members": "职工50人以上无党员，应抓紧发展党员",
    "party_organization_required": "职工100人以上，应建立党组织",
    "talk_to_applicant": "一个月内与入党申请人谈话",
    "review_activist": "每半年考察入党积极分子",
    "assign_cultivation_contacts": "为入党积极分子指定培养联系人",
    "approve_probationary": "上级党委审批预备党员",
    "vote_on_conversion": "预备期满，支部大会讨论转正",
    "approve_formal_branch": "上级党委批复成立党组织",
    "rebuild_or_dissolve_branch": "已无正式党员，应重建或撤销党组织",
    "adjust_party_organization": "正式党员不足3名，应调整党组织设置",
    "complete_transfer": "组织关系转接到期，应办结",
    "hold_election": "任期届满，应按期换届选举",
    "file_election_result": "换届选举结果应报上级党委备案",
    "form_youth_league": "党建带团建，应建立共青团组织",
    "form_union": "党建带工建，应建立工会组织",
}

RULES: Final = {
    "case_closed": "案件已关闭，不能再办理", "already_formed": "已有正式党组织",
    "request_pending": "已有待批复的成立申请",
    "standalone_needs_members": "单独组建需要3名以上组织关系在本单位的正式党员",
    "already_organized": "已有党组织或已被组织覆盖", "standalone_required": "有3名以上正式党员，必须单独组建",
    "temporary_needs_members": "成立临时党支部需要党员",
    "affiliation_needs_one_or_two_members": "只有一两名党员时才能挂靠组建",
    "joint_needs_members_of_each": "联合组建的每个单位都要有党员",
    "joint_needs_organizations": "联合组建需要两个以上单位",
    "joint_too_many_organizations": "联合党支部涉及的单位过多", "joint_not_neighbours": "联合组建的单位须在同一街道",
    "joint_not_close_in_industry": "联合组建的单位须行业相近", "joint_needs_members": "联合组建合计需要3名以上正式党员",
    "wrong_development_stage": "此人不在这一发展阶段", "already_talked": "已与申请人谈过话",
    "cultivation_year_not_over": "培养考察未满一年", "admission_needs_formal_branch": "接收预备党员须由正式党组织进行",
    "two_introducers": "需要两名不同的入党介绍人", "introducer_not_formal_member": "入党介绍人须为正式党员",
    "not_probationary": "此人不是预备党员", "probation_not_over": "预备期未满", "extended_once": "预备期只能延长一次",
    "extension_length": "预备期延长6至12个月", "committee_size": "支部委员会人数不符合规定",
    "no_committee_below_7": "正式党员不足7人，不设支部委员会", "unknown_event": "没有这条记录",
    "nothing_to_correct": "没有填写要更正的内容", "not_correctable": "这些项目不能更正",
    "credit_code_mismatch": "统一社会信用代码与登记信息不符", "already_transferred": "组织关系已在本单位",
    "instructor_assigned": "已有指导员，请先撤回", "no_instructor": "没有选派指导员", "not_affiliated": "没有挂靠",
    "no_request": "没有待批复的申请", "type_exception_needs_reason": "选择非默认的党组织类型须说明理由",
    "not_in_joint_branch": "不在联合党支部中", "no_branch": "没有本单位的党支部可撤销",
    "no_formal_branch": "只有正式党组织才能选举", "not_formed": "尚未建立正式党组织",
    "youth_league_formed": "已建立共青团组织", "union_formed": "已建立工会组织",
    "union_not_configured": "本地未要求同步建立工会组织", "no_party_organization": "尚未建立党组织",
    "already_registered": "该组织已经登记过",
    "committee_unchanged": "已经是这个党委负责", "committee_change_needs_reason": "变更负责的党委须说明理由",
    "concurrent_change": "案件刚被他人修改，请刷新后重试",
    "step_not_available": "这一步现在不能办理（案件已有变化，请看下方现在可以办理的步骤）",
    "transfer_pending": "已在办理组织关系转接", "no_transfer_pending": "没有正在办理的组织关系转接",
    "no_election_to_file": "没有待备案的选举结果",
    "applicant_under_18": "入党申请人须年满18岁", "member_under_18": "党员须年满18岁",
    "no_member_to_transfer_in": "没有组织关系待转入的党员", "no_members": "本单位没有党员",
    "no_applicant_to_talk_to": "没有待谈话的入党申请人", "no_applicant": "没有入党申请人",
    "no_activist": "没有入党积极分子", "no_development_target": "没有发展对象",
    "no_admission_to_approve": "没有待审批的预备党员", "no_probationary_member": "没有预备党员",
    "no_candidate": "没有正在发展的人员",
    "date_out_of_order": "日期早于它所依据的步骤（或成立日期）", "approval_too_late": "表决后超过6个月，不能再审批",
    "late_approval_needs_reason": "表决后超过3个月审批，须说明理由",
    "conversion_needs_formal_branch": "转正须由正式党组织表决",
    "person_recorded_twice": "此人已登记过", "relation_elsewhere": "该党员的组织关系仍在其他单位，须先转出",
    "id_number_birth_date": "公民身份号码中的出生日期与所填出生日期不一致",
    "officer_not_formal_member": "书记、委员须为本单位正式党员",
    "not_a_fact_event": "这条记录不是登记事实的记录，不能这样更正",
    "credit_code_taken": "统一社会信用代码已被其他组织使用",
    "not_closed": "案件未关闭", "reopening_needs_reason": "重新开启案件须说明理由",
    "admission_date_for_probationary": "只有预备党员登记入党日期",
    "contacts_one_or_two": "培养联系人为一至两名不同的正式党员",
    "contact_not_formal_member": "培养联系人须为本单位正式党员",
    "contacts_assigned": "已有培养联系人，更换须说明理由", "no_contacts_to_change": "没有可更换的培养联系人",
    "changing_contacts_needs_reason": "更换培养联系人须说明理由",
    "no_formal_member_for_contacts": "本单位没有正式党员可作培养联系人",
    "political_review_missing": "尚未进行政治审查", "political_review_failed": "政治审查不合格，不能发展入党",
    "training_missing": "尚未参加短期集中培训", "training_too_short": "集中培训不少于3天（或24个学时）",
    "training_dates": "培训结束日期早于开始日期", "training_not_over": "培训尚未结束",
    "leaving_within_three_months": "三个月内将离开本单位，一般不接收（须组织部门说明理由特批）",
    "departure_exception_needs_reason": "特批接收须说明理由", "no_departure": "没有登记将离开本单位的发展对象",
    "departure_in_the_past": "预计离开日期早于登记日期（已离开的请办理退出发展）",
}


def label(table: dict[str, str], name: object) -> str:
    """The Chinese word for `name` (an enum's value or a plain string), or the name itself."""
    key = getattr(name, "value", name)
    return table.get(str(key), str(key)) if key is not None else ""


def region_label(code: str, name: str | None = None) -> str:
    """A region as people name it: its name where the names' table has one, else its level and code."""
    if name:
        return name
    return f"{REGION_LEVELS.get(len(code), '地区')} {code}" if code else "全国"
