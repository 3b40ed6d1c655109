import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { SecondFactorRequired } from '../guards/Guards';
import { isProblem } from '../guards/reauth';
import { useTranslation } from 'react-i18next';
import { useSession } from '../api/session';
import { RequireUser } from '../components/RequireUser';
import { VoucherPanel } from '../seller/SellerVouchers';

function OperatorVouchers() {
  const { t } = useTranslation();
  const { user } = useSession();
  const isOperator = user?.roles.includes('operator') ?? false;
  // The same query the panel makes: an operator without a second factor is told what to do instead.
  const vouchers = useQuery({ queryKey: ['vouchers', '/api/commerce/vouchers'], queryFn: () => api<{ items: unknown[] }>('/api/commerce/vouchers'), enabled: isOperator });
  if (isOperator && isProblem(vouchers.error, 'second-factor-required')) {
    return (
      <section className="stack" aria-labelledby="platform-vouchers-title">
        <h1 id="platform-vouchers-title">{t('vouchers.platformTitle')}</h1>
        <SecondFactorRequired error={vouchers.error} />
      </section>
    );
  }
  return (
    <section className="stack" aria-labelledby="platform-vouchers-title">
      <h1 id="platform-vouchers-title">{t('vouchers.platformTitle')}</h1>
      {user?.roles.includes('operator') ? (
        <VoucherPanel endpoint="/api/commerce/vouchers" intro={t('vouchers.platformIntro')} listTitle={t('vouchers.platformList')} />
      ) : (
        <div className="card stack">
          <p>{t('vouchers.operatorsOnly')}</p>
          <p>
            <Link to="/seller/voucher">{t('vouchers.toShopVouchers')}</Link>
          </p>
        </div>
      )}
    </section>
  );
}

export default function PlatformVouchers() {
  return (
    <RequireUser>
      <OperatorVouchers />
    </RequireUser>
  );
}
