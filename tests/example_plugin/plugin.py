from importlib.resources import files

from duban.campaigns.declarative import YamlCampaign

plugin = YamlCampaign(files(__package__))
