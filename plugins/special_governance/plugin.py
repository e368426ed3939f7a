"""The 社会救助领域专项治理 campaign type (seed 003, 信民字〔2022〕5号).

Its data lives in the YAML beside this module; the one rule YAML cannot state is checked here:
a month whose aid was not paid through the social distribution channel (社会化发放) by the 10th
needs the reason and the remedy.
"""
from importlib.resources import files

from duban import hookimpl
from duban.campaigns.declarative import YamlCampaign


class SpecialGovernance(YamlCampaign):
    @hookimpl
    def validate_submission(self, campaign, org_unit, form_key, data):
        if not self.mine(campaign.type_key) or form_key != "monthly_payment":
            return []
        # 二(四)1：“确保每月10号前困难群众救助资金通过社会化发放形式及时发放到位”
        if not data.get("socialised") and not data.get("notes"):
            return ["救助资金未在每月10日前通过社会化发放到位的，请填写未按时发放的原因及措施"]
        return []


plugin = SpecialGovernance(files(__package__))
