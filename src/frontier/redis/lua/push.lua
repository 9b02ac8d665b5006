-- push: ARGV[4..] as admit() reads them. Returns one verdict letter per request.
return admit(4, nil)
