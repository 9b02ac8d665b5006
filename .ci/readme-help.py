import subprocess,re,sys
help=subprocess.run(["./target/debug/crawl","--help"],capture_output=True,text=True).stdout
p='README.md'; s=open(p).read()
s=re.sub(r"<!-- help start -->.*?<!-- help end -->", "<!-- help start -->\n```text\n"+help.rstrip("\n")+"\n```\n<!-- help end -->", s, flags=re.S)
open(p,'w').write(s)
