python run_study.py --method supervised --retrain 5 --profile bench
