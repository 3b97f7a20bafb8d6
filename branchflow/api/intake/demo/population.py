"""What the demo district is made of: people's names, ages and education, the industries of its firms and social
organizations with the words of their names, and the subtype each kind of organization is."""

from __future__ import annotations

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
