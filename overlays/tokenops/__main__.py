from tokenops._cli import run

run()
