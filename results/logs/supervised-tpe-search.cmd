python run_study.py --method supervised --sampler tpe --pruner median --n-trials 20 --profile bench
