// The reference for the openssl backend: per-packet EVP ChaCha20-Poly1305 seal+open from C,
// the calls cryptun's OpenSslCipherContext makes (benchmarks/README.md, issue 15).
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int argc,char**argv){
  int len=atoi(argv[1]); unsigned char key[32]={1},nonce[12]={0},buf[70000]; int outl;
  EVP_CIPHER_CTX *e=EVP_CIPHER_CTX_new(),*d=EVP_CIPHER_CTX_new();
  EVP_CipherInit_ex(e,EVP_chacha20_poly1305(),NULL,key,NULL,1);
  EVP_CipherInit_ex(d,EVP_chacha20_poly1305(),NULL,key,NULL,0);
  memset(buf,7,sizeof buf); long n=0; double t0=now(),t;
  do { for(int i=0;i<10000;i++,n++){
      memcpy(nonce+4,&n,8);
      EVP_CipherInit_ex(e,NULL,NULL,NULL,nonce,1); EVP_CipherUpdate(e,buf,&outl,buf,len); EVP_CipherFinal_ex(e,buf+len,&outl);
      EVP_CIPHER_CTX_ctrl(e,EVP_CTRL_AEAD_GET_TAG,16,buf+len);
      EVP_CipherInit_ex(d,NULL,NULL,NULL,nonce,0); EVP_CIPHER_CTX_ctrl(d,EVP_CTRL_AEAD_SET_TAG,16,buf+len);
      EVP_CipherUpdate(d,buf,&outl,buf,len); if(EVP_CipherFinal_ex(d,buf+len,&outl)!=1){printf("fail\n");return 1;}
    } t=now(); } while(t-t0<3);
  printf("len %d: %.0f ns per seal+open\n",len,(t-t0)/n*1e9); return 0; }
