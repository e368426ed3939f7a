"""The 漏保漏救 campaign type (seeds 000 and 001). Its data lives in the YAML files beside this module."""
from importlib.resources import files

from duban.campaigns.declarative import YamlCampaign

plugin = YamlCampaign(files(__package__))
