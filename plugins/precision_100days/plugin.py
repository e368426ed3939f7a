"""The 精准救助百日会战 campaign type (seed 002, 滨海新区民政局 2018). Its data lives in the YAML beside this module."""
from importlib.resources import files

from duban.campaigns.declarative import YamlCampaign

plugin = YamlCampaign(files(__package__))
