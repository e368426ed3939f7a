"""Close-out evaluation (验收, 年终评价): a superior scores or grades each unit below it."""
