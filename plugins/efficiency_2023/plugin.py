"""The 社会救助效能提升行动 campaign type (seed 004, 岳阳市云溪区民政局 2023). Its data lives in the YAML beside this module."""
from importlib.resources import files

from duban.campaigns.declarative import YamlCampaign

plugin = YamlCampaign(files(__package__))
