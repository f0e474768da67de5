#!/usr/bin/python3
# Research prototype (not part of the service): SquareCB (Foster & Rakhlin 2020, inverse-gap
# weighting over a Lagrangian score q_hat - mu * cost) on an online AdaGrad regression over sparse
# hashed word unigrams + bigrams (2^B slots), per-arm weights plus one shared model, with the same
# two-sided spend controller as the router (mu >= -1, rate 0.05). One online pass, bandit feedback
# unless full=1. Prints quality@cost (% of the best single model) per seed and the margin over the
# mixture frontier. Needs python3-numpy. See docs/eval/development/squarecb-prototype.md.
#   /usr/bin/python3 tools/research/squarecb_sim.py B [target=0.5] [seeds=3] [gamma0=30] [lr=0.1] [full=1] [shared=0]
import json, re, sys, math, random, zlib
import numpy as np
import os
DATA=os.environ.get('DATA', os.path.join(os.path.dirname(__file__), '..', '..', 'datasets', 'llmrouter', 'llmrouter-9models.jsonl'))
rows=[json.loads(l) for l in open(DATA)]
arms=sorted(rows[0]['outcomes'])
K=len(arms)
Q=np.array([[r['outcomes'][a]['quality'] for a in arms] for r in rows])
C=np.array([[r['outcomes'][a]['cost_usd'] for a in arms] for r in rows])
best=int(np.argmax(Q.mean(0))); cbest=C[:,best].mean(); qbest=Q[:,best].mean()
B=int(sys.argv[1]) if len(sys.argv)>1 else 18
D=1<<B
def feats(t):
    w=re.findall(r"[a-z0-9]+",t.lower())
    toks=set(w)|set(a+'_'+b for a,b in zip(w,w[1:]))
    idx=np.array(sorted({zlib.crc32(x.encode())&(D-1) for x in toks}|{0}),dtype=np.int64)
    return idx, 1/math.sqrt(len(idx))
F=[feats(r['text']) for r in rows]
def run(seed, target, full=False, gamma0=None, eta=0.05, lr=0.5, shared=True):
    rng=np.random.default_rng(seed); order=rng.permutation(len(rows))
    W=np.zeros((K,D)); G=np.full((K,D),1e-6)   # per-arm adagrad
    Ws=np.zeros(D); Gs=np.full(D,1e-6)
    mu=0.0; tq=tc=0.0
    for t,i in enumerate(order):
        idx,v=F[i]
        base=Ws[idx].sum()*v if shared else 0
        qh=np.clip(W[:,idx].sum(1)*v+base,0,1)
        c=C[i]/cbest
        s=qh-mu*c
        b=int(np.argmax(s))
        g=(gamma0 if gamma0 else 1.0)*math.sqrt(K*(t+1))   # squarecb gamma ~ sqrt(KT)
        p=1.0/(K+g*(s[b]-s)); p[b]=0; p[b]=1-p.sum()
        a=int(rng.choice(K,p=p))
        tq+=Q[i,a]; tc+=C[i,a]
        mu=max(-1.0, mu+eta*(C[i,a]/(target*cbest)-1))
        upd=range(K) if full else [a]
        for u in upd:
            err=(W[u,idx].sum()*v+base)-Q[i,u]
            gr=err*v
            G[u,idx]+=gr*gr; W[u,idx]-=lr*gr/np.sqrt(G[u,idx])
            if shared:
                Gs[idx]+=gr*gr; Ws[idx]-=lr*gr/np.sqrt(Gs[idx])/K
    n=len(order); return tq/n/qbest*100, tc/n/cbest*100
def mixture(cost):
    # Upper-left convex hull of the single models (cost %, quality %), linear between vertices.
    pts=sorted((C[:,a].mean()/cbest*100,Q[:,a].mean()/qbest*100) for a in range(K))
    hull=[]
    for p in pts:
        if hull and p[1]<=hull[-1][1]: continue               # costs more, no better
        while hull and p[0]==hull[-1][0]: hull.pop()          # same cost, better
        while len(hull)>=2 and (hull[-1][0]-hull[-2][0])*(p[1]-hull[-2][1])-(hull[-1][1]-hull[-2][1])*(p[0]-hull[-2][0])>=0: hull.pop()
        hull.append(p)
    for (c0,q0),(c1,q1) in zip(hull,hull[1:]):
        if c0<=cost<=c1: return q0+(q1-q0)*(cost-c0)/(c1-c0)
    return hull[-1][1] if cost>=hull[-1][0] else hull[0][1]
cfg=dict(a.split('=') for a in sys.argv[2:])
target=float(cfg.pop('target',0.5)); seeds=int(cfg.pop('seeds',3))
kw={k:(v=='1' if k in('full','shared') else float(v)) for k,v in cfg.items()}
res=[run(s,target,**kw) for s in range(seeds)]
m=[q-mixture(c) for q,c in res]
print(B,target,kw,' '.join(f'{q:.1f}@{c:.1f}' for q,c in res),'margin %.2f (%.1f..%.1f)'%(np.mean(m),min(m),max(m)))
